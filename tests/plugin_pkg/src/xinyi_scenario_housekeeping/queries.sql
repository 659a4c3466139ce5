-- name: latest_worker_checks
SELECT DISTINCT ON (subject_id) subject_id, reported_on, workers, certified_workers
FROM housekeeping_worker_checks
WHERE subject_id = ANY($1::text[]) AND reported_on <= $2
ORDER BY subject_id, reported_on DESC;
