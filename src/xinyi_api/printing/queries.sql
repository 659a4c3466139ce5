-- name: insert_job
INSERT INTO print_jobs (department, created_by, filters, format, options, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id;

-- name: select_items
-- The subjects a job prints: open (and, for a store, its enterprise open), with an active code,
-- in the region (prefix), of the industry, in the district, of the kind asked for.
INSERT INTO print_job_items (job_id, seq, subject_id)
SELECT $1, row_number() OVER (ORDER BY s.id), s.id
FROM subjects s
JOIN codes c ON c.subject_id = s.id AND c.status = 'active'
LEFT JOIN subjects e ON e.id = s.enterprise_id
WHERE s.closed_at IS NULL AND (e.id IS NULL OR e.closed_at IS NULL)
  AND ($2::text IS NULL OR s.region_code LIKE $2 || '%')
  AND ($3::text IS NULL OR s.industry = $3)
  AND ($4::text IS NULL OR s.id IN (SELECT store_id FROM district_stores
                                    WHERE district_id = $4))
  AND ($5::text = 'all' OR ($5 = 'store') = (s.type = 'store'));

-- name: set_total
UPDATE print_jobs SET total = $2 WHERE id = $1;

-- name: district
SELECT id, name, region_code FROM districts WHERE id = $1;

-- name: job
SELECT * FROM print_jobs WHERE id = $1;

-- name: jobs_of_department
-- A department's jobs; $1 NULL (an operator): every job, CLI exports included.
SELECT * FROM print_jobs WHERE $1::text IS NULL OR department = $1 ORDER BY id DESC LIMIT $2;

-- name: claim
-- The oldest job no worker holds (or job $4 only): queued, or running with its lease run out
-- (its worker died or hung: no checkpoint since $3). FOR UPDATE SKIP LOCKED: workers claiming
-- at the same moment take different jobs, none waits. The new attempt is the fencing number
-- every later write of this worker names.
UPDATE print_jobs j
SET status = 'running', attempt = j.attempt + 1, worker = $1,
    started_at = coalesce(j.started_at, $2), heartbeat_at = $2
WHERE j.id = (SELECT id FROM print_jobs
              WHERE (status = 'queued' OR (status = 'running' AND heartbeat_at < $3))
                AND ($4::bigint IS NULL OR id = $4)
              ORDER BY id
              LIMIT 1
              FOR UPDATE SKIP LOCKED)
RETURNING j.*;

-- name: last_chunk
SELECT chunk, last_seq, bytes_end FROM print_job_chunks
WHERE job_id = $1 ORDER BY chunk DESC LIMIT 1;

-- name: chunk_subjects
-- One chunk of the job's list with what a card shows and the active code to sign.
SELECT i.seq, s.id, s.type, s.name, coalesce(e.name, s.name) AS enterprise_name,
       coalesce(s.uscc, e.uscc) AS uscc, c.serial, c.key_number
FROM print_job_items i
JOIN subjects s ON s.id = i.subject_id
LEFT JOIN subjects e ON e.id = s.enterprise_id
JOIN codes c ON c.subject_id = s.id AND c.status = 'active'
WHERE i.job_id = $1 AND i.seq > $2
ORDER BY i.seq
LIMIT $3;

-- name: insert_chunk
INSERT INTO print_job_chunks (job_id, chunk, last_seq, count, bytes_end, node, pages, directory,
                              manifest)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: checkpoint
-- Only the attempt that holds the job may move it (a worker that lost it updates nothing).
UPDATE print_jobs
SET done = done + $3, chunks_done = chunks_done + 1, bytes_done = $4, next_object = $5,
    heartbeat_at = $6
WHERE id = $1 AND attempt = $2 AND status = 'running'
RETURNING done;

-- name: chunk_directories
SELECT node, pages, count, directory, manifest FROM print_job_chunks
WHERE job_id = $1 ORDER BY chunk;

-- name: finish_job
UPDATE print_jobs
SET status = 'done', output_name = $3, output_bytes = $4, finished_at = $5, heartbeat_at = $5
WHERE id = $1 AND attempt = $2 AND status = 'running'
RETURNING id;

-- name: drop_work
-- A finished job keeps its row (what was ordered, by whom, how many) but not its work tables.
WITH items AS (DELETE FROM print_job_items WHERE job_id = $1)
DELETE FROM print_job_chunks WHERE job_id = $1;

-- name: fail_job
UPDATE print_jobs SET status = 'failed', error = $3, finished_at = $4
WHERE id = $1 AND attempt = $2 AND status = 'running';

-- name: expired_outputs
-- Finished jobs whose output is past its retention: marked expired (the files go after).
UPDATE print_jobs SET status = 'expired'
WHERE status IN ('done', 'failed') AND finished_at < $1
RETURNING id;
