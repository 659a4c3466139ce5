-- The credit records grading reads, as one definition: the batch file loader
-- (grading/queries.sql load_records) and SQL write paths that hand a subject's file back to the
-- grader in the statement that changes it (ratings: rating_submit) both select through it, so
-- they cannot drift apart. Repaired and withdrawn records never count, so they are not loaded;
-- the order (per subject, newest first) is the one indicators rely on ("the first licence",
-- "three recent passes").
CREATE FUNCTION grading_records(ids text[])
RETURNS TABLE (id text, subject_id text, kind text, severity text, result text, title text,
               occurred_on date, public_until date, status text, source_department text)
LANGUAGE sql STABLE AS $$
    SELECT r.id, r.subject_id, r.kind, r.severity, r.result, r.title, r.occurred_on,
           r.public_until, r.status, r.source_department
    FROM credit_records r
    WHERE r.subject_id = ANY (ids) AND r.status IN ('active', 'objected')
    ORDER BY r.subject_id, r.occurred_on DESC, r.id
$$;
