-- name: create_staging
CREATE TEMP TABLE IF NOT EXISTS import_staging (
    row_no             integer NOT NULL,
    kind               text NOT NULL,
    source_key         text NOT NULL,
    uscc               text NOT NULL,
    subject_id         text,
    subject_name       text NOT NULL,
    party_category     text NOT NULL,
    industry           text,
    region_code        text,
    severity           text,
    result             text,
    title              text NOT NULL,
    content            text NOT NULL,
    legal_basis        text NOT NULL,
    occurred_on        date NOT NULL,
    public_until       date NOT NULL,
    withdraw           boolean NOT NULL,
    withdraw_reason    text NOT NULL,
    fields             text NOT NULL,
    fingerprint        text NOT NULL,
    record_id          text,
    record_status      text,
    record_fingerprint text,
    old_subject        text,
    action             text
);

-- name: drop_staging
DROP TABLE IF EXISTS import_staging;

-- name: subjects_by_uscc
-- A merged subject (重错码治理) stands for the subject it was merged into.
SELECT s.uscc, coalesce(m.id, s.id) AS id, s.name, m.name AS merged_name, s.type,
       coalesce(m.region_code, s.region_code) AS region_code
FROM subjects s LEFT JOIN subjects m ON m.id = s.merged_into
WHERE s.uscc = ANY($1::text[]);

-- name: subjects_by_name
SELECT name, uscc, id FROM subjects
WHERE name = ANY($1::text[]) AND type <> 'store' AND merged_into IS NULL;

-- name: stores_by_id
SELECT id, enterprise_id, name FROM subjects WHERE id = ANY($1::text[]) AND type = 'store';

-- name: stores_by_name
SELECT enterprise_id, name, array_agg(id ORDER BY id) AS ids FROM subjects
WHERE type = 'store' AND enterprise_id = ANY($1::text[]) AND name = ANY($2::text[])
GROUP BY enterprise_id, name;

-- name: staging_duplicates
-- Rows of one file (or batch) with a key an earlier row already has.
SELECT row_no, first_row, fingerprint = first_fingerprint AS same, source_key, kind
FROM (SELECT row_no, kind, source_key, fingerprint,
             first_value(row_no) OVER w AS first_row,
             first_value(fingerprint) OVER w AS first_fingerprint
      FROM import_staging
      WINDOW w AS (PARTITION BY kind, source_key ORDER BY row_no)) t
WHERE row_no <> first_row
ORDER BY row_no;

-- name: drop_staged_rows
DELETE FROM import_staging WHERE row_no = ANY($1::int[]);

-- name: department_lock
-- One commit at a time per source department: what a commit counts as new, corrected or
-- unchanged is what it writes. The unique index on (source_department, kind, source_key) is what
-- makes a row exactly-once; this lock keeps the counts and the report exact.
SELECT pg_advisory_xact_lock(7202614, hashtext($1));

-- name: classify_match
-- Match every staged row to the record already on file under its key.
UPDATE import_staging s
SET record_id = r.id, record_status = r.status, record_fingerprint = r.source_fingerprint,
    old_subject = r.subject_id
FROM credit_records r
WHERE r.source_department = $1 AND r.kind = s.kind AND r.source_key = s.source_key;

-- name: classify_decide
UPDATE import_staging
SET action = CASE
    WHEN record_id IS NULL AND withdraw THEN 'refuse:nothing-to-withdraw'
    WHEN record_id IS NULL THEN 'insert'
    WHEN record_fingerprint = fingerprint THEN 'unchanged'
    WHEN withdraw AND record_status = 'withdrawn' THEN 'unchanged'
    WHEN record_status IN ('withdrawn', 'repaired') THEN 'refuse:record-final'
    WHEN record_status = 'objected' THEN 'refuse:record-under-objection'
    WHEN withdraw THEN 'withdraw'
    ELSE 'correct' END;

-- name: refused_by_state
SELECT row_no, action, source_key, record_id, record_status FROM import_staging
WHERE action LIKE 'refuse:%' ORDER BY row_no;

-- name: action_counts
SELECT action, count(*) AS n,
       count(DISTINCT uscc) FILTER (WHERE subject_id IS NULL) AS unregistered
FROM import_staging GROUP BY action;

-- name: register_subjects
-- Businesses the department asked to register (unknown codes of rows that will land).
WITH new AS (
    SELECT DISTINCT ON (uscc) uscc, subject_name, party_category, industry, region_code
    FROM import_staging
    WHERE subject_id IS NULL AND action IN ('insert', 'correct')
    ORDER BY uscc, row_no
)
INSERT INTO subjects (id, type, uscc, name, region_code, industry, created_by)
SELECT 'E' || lpad(nextval('enterprise_id_seq')::text, 8, '0'),
       CASE WHEN party_category = 'individual' OR (party_category = '' AND uscc LIKE '92%')
            THEN 'individual' ELSE 'enterprise' END,
       uscc, subject_name, region_code, industry, $1
FROM new ORDER BY uscc
ON CONFLICT (uscc) DO NOTHING
RETURNING id;

-- name: fill_subjects
UPDATE import_staging s SET subject_id = coalesce(sub.merged_into, sub.id)
FROM subjects sub
WHERE s.subject_id IS NULL AND sub.uscc = s.uscc;

-- name: insert_records
-- $1 department, $2 today (published_on), $3 job id. Keys of one department are only written
-- under its import lock (department_lock), so no two inserts of one key ever race; the unique
-- index would refuse a second one all the same.
WITH ins AS (
    INSERT INTO credit_records (id, subject_id, kind, severity, result, title, content,
                                source_department, legal_basis, occurred_on, published_on,
                                public_until, source_key, source_fingerprint, source_fields)
    SELECT 'R' || lpad(nextval('record_id_seq')::text, 10, '0'), subject_id, kind, severity,
           result, title, content, $1, legal_basis, occurred_on, $2::date, public_until,
           source_key, fingerprint, fields::jsonb
    FROM import_staging WHERE action = 'insert'
    ON CONFLICT (source_department, kind, source_key) WHERE source_key IS NOT NULL DO NOTHING
    RETURNING subject_id
), affected AS (
    INSERT INTO import_affected (job_id, subject_id)
    SELECT DISTINCT $3::bigint, subject_id FROM ins
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM ins;

-- name: correct_records
-- A changed row: the record takes the row's values (credit_record_revisions keeps the old).
WITH upd AS (
    UPDATE credit_records r
    SET subject_id = s.subject_id, severity = s.severity, result = s.result, title = s.title,
        content = s.content, legal_basis = s.legal_basis, occurred_on = s.occurred_on,
        published_on = greatest(r.published_on, s.occurred_on), public_until = s.public_until,
        source_fingerprint = s.fingerprint, source_fields = s.fields::jsonb, updated_at = now()
    FROM import_staging s
    WHERE s.action = 'correct' AND r.id = s.record_id AND r.status = 'active'
    RETURNING r.subject_id, s.old_subject
), affected AS (
    INSERT INTO import_affected (job_id, subject_id)
    SELECT DISTINCT $1::bigint, x
    FROM upd CROSS JOIN LATERAL (VALUES (upd.subject_id), (upd.old_subject)) AS v(x)
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM upd;

-- name: withdraw_records
WITH upd AS (
    UPDATE credit_records r
    SET status = 'withdrawn', status_reason = s.withdraw_reason,
        source_fingerprint = s.fingerprint, updated_at = now()
    FROM import_staging s
    WHERE s.action = 'withdraw' AND r.id = s.record_id AND r.status = 'active'
    RETURNING r.subject_id
), affected AS (
    INSERT INTO import_affected (job_id, subject_id)
    SELECT DISTINCT $1::bigint, subject_id FROM upd
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM upd;

-- name: count_affected
SELECT count(*) FROM import_affected WHERE job_id = $1;

-- name: affected_after
SELECT subject_id FROM import_affected
WHERE job_id = $1 AND subject_id > $2
ORDER BY subject_id LIMIT $3;

-- name: insert_job
INSERT INTO import_jobs (department, actor, region, source, file_name, media_type, file_sha256,
                         file_bytes, layout, dry_run, register_unknown, default_industry,
                         idempotency_key, state, today)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
RETURNING *;

-- name: job_by_idempotency_key
SELECT * FROM import_jobs WHERE department = $1 AND idempotency_key = $2;

-- name: get_job
SELECT * FROM import_jobs WHERE id = $1;

-- name: list_jobs
SELECT * FROM import_jobs
WHERE ($1::text IS NULL OR department = $1) AND id < $2
ORDER BY id DESC LIMIT $3;

-- name: set_state
UPDATE import_jobs SET state = $2, updated_at = now(),
    started_at = coalesce(started_at, CASE WHEN $2 <> 'queued' THEN now() END),
    finished_at = CASE WHEN $2 IN ('validated', 'done', 'failed') THEN now() END
WHERE id = $1;

-- name: set_progress
UPDATE import_jobs SET rows_total = $2, rows_refused = $3, problems_listed = $4,
    updated_at = now()
WHERE id = $1;

-- name: set_outcome
UPDATE import_jobs
SET state = $2, rows_total = $3, rows_refused = $4, problems_listed = $5, inserted = $6,
    corrected = $7, withdrawn = $8, unchanged = $9, registered = $10, subjects_affected = $11,
    layout = coalesce(layout, $12), updated_at = now(),
    committed_at = CASE WHEN $2 = 'regrading' THEN clock_timestamp() END,
    finished_at = CASE WHEN $2 IN ('validated', 'done', 'failed') THEN now() END
WHERE id = $1;

-- name: set_failure
UPDATE import_jobs SET state = 'failed', failure_slug = $2, failure = $3, updated_at = now(),
    finished_at = now()
WHERE id = $1;

-- name: advance_regrade
UPDATE import_jobs SET regrade_cursor = $2, subjects_regraded = subjects_regraded + $3,
    updated_at = now()
WHERE id = $1;

-- name: reset_for_commit
-- A validated dry run becomes a commit of the same stored file.
UPDATE import_jobs
SET dry_run = false, state = 'queued', rows_total = 0, rows_refused = 0, problems_listed = 0,
    inserted = 0, corrected = 0, withdrawn = 0, unchanged = 0, registered = 0,
    subjects_affected = 0, subjects_regraded = 0, regrade_cursor = '', failure = NULL,
    failure_slug = NULL, finished_at = NULL, today = $2, updated_at = now()
WHERE id = $1 AND state = 'validated' AND dry_run
RETURNING *;

-- name: clear_problems
DELETE FROM import_problems WHERE job_id = $1;

-- name: store_chunk
INSERT INTO import_files (job_id, seq, data) VALUES ($1, $2, $3);

-- name: file_chunks
SELECT data FROM import_files WHERE job_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3;

-- name: drop_file
DELETE FROM import_files WHERE job_id = $1;

-- name: has_file
SELECT EXISTS (SELECT 1 FROM import_files WHERE job_id = $1);

-- name: problems_page
SELECT n, row_no, column_name, code, message, value FROM import_problems
WHERE job_id = $1 AND n > $2 ORDER BY n LIMIT $3;

-- name: pending_jobs
SELECT id FROM import_jobs
WHERE state IN ('queued', 'validating', 'committing', 'regrading')
ORDER BY id LIMIT 50;

-- name: try_job_lock
SELECT pg_try_advisory_lock(7202615, ($1::bigint % 2147483647)::int);

-- name: job_lock
SELECT pg_advisory_lock(7202615, ($1::bigint % 2147483647)::int);

-- name: job_unlock
SELECT pg_advisory_unlock(7202615, ($1::bigint % 2147483647)::int);

-- name: expired_files
-- Files of dry runs nobody committed within the retention period.
DELETE FROM import_files f USING import_jobs j
WHERE f.job_id = j.id AND j.state IN ('validated', 'failed', 'done')
  AND j.finished_at < now() - make_interval(days => $1)
RETURNING f.job_id;

-- name: record_revisions
SELECT id, revised_at, previous FROM credit_record_revisions
WHERE record_id = $1 ORDER BY id;

-- name: record_owner
SELECT r.id, r.source_department, s.region_code FROM credit_records r
JOIN subjects s ON s.id = r.subject_id WHERE r.id = $1;
