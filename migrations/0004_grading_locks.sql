-- Concurrent regrades of one subject (docs/grading.md, "Concurrent regrades"). Under READ
-- COMMITTED, two transactions that each change a subject's credit file (a record corrected, a
-- rating published) and regrade it would each read the file without the other's uncommitted
-- change, and whichever stored its grade last would keep a grade missing the other's change.
-- Every transaction that grades a subject therefore takes this lock — after its own change,
-- before it reads the file — and holds it until it ends: the later one reads the file only once
-- the earlier one has committed, so it sees both changes.
--
-- One definition for Grader.regrade (grading/queries.sql lock_subjects) and for SQL write paths
-- that read the file themselves (ratings: rating_submit). Transaction-level advisory locks on
-- (7202613, hashtext(id)), taken in key order so that batches cannot deadlock one another; two
-- ids with the same hash only share a queue. Graders of different subjects never wait.
CREATE FUNCTION grading_lock(p_subjects text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7202613, k.key)
    FROM (SELECT DISTINCT hashtext(s) AS key FROM unnest(p_subjects) AS s) AS k
    ORDER BY k.key;
END $$;
