-- name: lock_subjects
-- Waits for every other transaction grading one of $1 (migrations/0004_grading_locks.sql); held
-- until this transaction ends.
SELECT grading_lock($1::text[]);

-- name: load_subjects
SELECT id, type, industry, region_code, closed_at IS NOT NULL AS closed
FROM subjects
WHERE id = ANY($1::text[]);

-- name: load_records
-- Active and objected records, per subject newest first (migrations/0003_grading_records.sql).
SELECT * FROM grading_records($1::text[]);

-- name: upsert_grades
-- Writes a batch of grades in one statement; history gets a row only when something changed,
-- and unchanged grades are not touched (migrations/0007_grades_store_skips_unchanged.sql).
-- Explanations come as JSON text with their MD5.
SELECT grades_store_digested($1::text[], $2::text[], $3::text[], $4::int[], $5::text[],
                             $6::text[], $7::text[], $8::date[]);

-- name: get_grade
SELECT subject_id, scheme, rule_version, score, grade, explanation, computed_at, review_on
FROM grades
WHERE subject_id = $1 AND scheme = $2;

-- name: grade_history
SELECT scheme, rule_version, score, grade, computed_at
FROM grade_history
WHERE subject_id = $1 AND scheme = $2
ORDER BY computed_at DESC, id DESC
LIMIT $3;

-- name: subject_ids_after
SELECT id FROM subjects WHERE id > $1 ORDER BY id LIMIT $2;

-- name: due_subject_ids_after
SELECT DISTINCT subject_id AS id FROM grades
WHERE review_on <= $3 AND subject_id > $1
ORDER BY subject_id LIMIT $2;

-- name: count_subjects
SELECT count(*) FROM subjects;

-- name: count_due
SELECT count(DISTINCT subject_id) FROM grades WHERE review_on <= $1;

-- name: open_run
SELECT id, total, processed, last_subject FROM regrade_runs
WHERE scheme = $1 AND rule_version = $2 AND finished_at IS NULL
ORDER BY id DESC LIMIT 1;

-- name: start_run
INSERT INTO regrade_runs (scheme, rule_version, total) VALUES ($1, $2, $3) RETURNING id;

-- name: advance_run
UPDATE regrade_runs SET processed = processed + $2, last_subject = $3 WHERE id = $1;

-- name: finish_run
UPDATE regrade_runs SET finished_at = now() WHERE id = $1;

-- name: stale_scheme_subject_ids_after
-- Subjects a scheme covers (by type and industry) whose grade under it is missing or was
-- computed by another rule version: what a new scenario or a new rule version must regrade.
SELECT s.id FROM subjects s
WHERE s.id > $1 AND s.type = ANY($3::text[]) AND s.industry = ANY($4::text[])
  AND NOT EXISTS (SELECT 1 FROM grades g
                  WHERE g.subject_id = s.id AND g.scheme = $5 AND g.rule_version = $6)
ORDER BY s.id LIMIT $2;

-- name: count_stale_scheme
SELECT count(*) FROM subjects s
WHERE s.type = ANY($1::text[]) AND s.industry = ANY($2::text[])
  AND NOT EXISTS (SELECT 1 FROM grades g
                  WHERE g.subject_id = s.id AND g.scheme = $3 AND g.rule_version = $4);

-- name: try_scheme_lock
SELECT pg_try_advisory_lock($1, hashtext($2));

-- name: release_scheme_lock
SELECT pg_advisory_unlock($1, hashtext($2));
