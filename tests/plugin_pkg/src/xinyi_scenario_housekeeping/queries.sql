-- name: latest_worker_checks
-- The latest staff report of each subject of a batch, as of the grading day.
SELECT DISTINCT ON (subject_id) subject_id, reported_on, workers, certified_workers
FROM housekeeping_worker_checks
WHERE subject_id = ANY($1::text[]) AND reported_on <= $2
ORDER BY subject_id, reported_on DESC;

-- name: upsert_worker_check
-- One report per subject and day: recording the same day again corrects it.
INSERT INTO housekeeping_worker_checks AS w
    (subject_id, reported_on, workers, certified_workers, recorded_by)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (subject_id, reported_on) DO UPDATE
    SET workers = excluded.workers, certified_workers = excluded.certified_workers,
        recorded_by = excluded.recorded_by, recorded_at = now()
RETURNING subject_id, reported_on, workers, certified_workers, recorded_by;
