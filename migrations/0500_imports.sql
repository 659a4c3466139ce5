-- 数据归集 imports (issue 14): departments' records in bulk, in the national 双公示 layouts,
-- exactly once; record revisions; 重错码治理 review list. docs/imports.md describes all of it.

-- The exactly-once key. A record that arrived through an import (a file, a batch) carries the
-- natural key of its layout — the 决定文书号 of a licence or penalty, our 检查编号 / 奖励文号 —
-- and one source department never has two records of one kind under one key: the unique index
-- below is what every import writes against (INSERT … ON CONFLICT), from any number of workers.
-- source_fingerprint is a digest of the row as last imported (a changed row is a correction);
-- source_fields the layout's columns that have no column of their own (category, fine, the
-- deciding authority and its 统一社会信用代码, the data source …). Records added through the
-- API keep NULL in all three.
ALTER TABLE credit_records
    ADD COLUMN source_key text CHECK (length(source_key) BETWEEN 1 AND 200),
    ADD COLUMN source_fingerprint text,
    ADD COLUMN source_fields jsonb;
CREATE UNIQUE INDEX credit_records_source_key_idx
    ON credit_records (source_department, kind, source_key) WHERE source_key IS NOT NULL;

-- Revisions: every change to a record (a correction through PATCH or an import, a withdrawal,
-- an objection's outcome, a repair, a merge that re-points it) keeps the record as it was.
-- Set-based: one statement-level trigger with transition tables, one INSERT per statement.
CREATE TABLE credit_record_revisions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id   text NOT NULL REFERENCES credit_records (id),
    revised_at  timestamptz NOT NULL DEFAULT now(),
    previous    jsonb NOT NULL
);
CREATE INDEX credit_record_revisions_record_idx ON credit_record_revisions (record_id, id);

CREATE FUNCTION credit_records_keep_revisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO credit_record_revisions (record_id, previous)
    SELECT o.id, to_jsonb(o)
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.subject_id, o.severity, o.result, o.title, o.content, o.legal_basis, o.occurred_on,
           o.published_on, o.public_until, o.status, o.status_reason, o.source_fields)
          IS DISTINCT FROM
          (n.subject_id, n.severity, n.result, n.title, n.content, n.legal_basis, n.occurred_on,
           n.published_on, n.public_until, n.status, n.status_reason, n.source_fields);
    RETURN NULL;
END $$;

CREATE TRIGGER credit_records_revisions AFTER UPDATE ON credit_records
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION credit_records_keep_revisions();

-- 重错码治理 merge: a duplicate subject is never deleted; it is marked as merged into the one
-- that stays (its records are re-pointed there, its stores move, it is closed).
ALTER TABLE subjects
    ADD COLUMN merged_into text REFERENCES subjects (id),
    ADD CONSTRAINT subjects_not_merged_into_itself CHECK (merged_into <> id);
-- 一名多码: an import looks up the names of its rows' businesses.
CREATE INDEX subjects_name_idx ON subjects (name) WHERE type <> 'store';

-- Import jobs: a file upload, an NDJSON batch or a CLI run; polled for state, counts, problems.
CREATE TABLE import_jobs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    department        text NOT NULL REFERENCES departments (code),
    actor             text NOT NULL,
    region            text CHECK (region ~ '^[0-9]{6}$'),
    source            text NOT NULL CHECK (source IN ('upload', 'batch', 'cli')),
    file_name         text,
    media_type        text,
    file_sha256       text,
    file_bytes        bigint NOT NULL DEFAULT 0,
    layout            text CHECK (layout IN ('licence', 'penalty', 'inspection', 'reward')),
    dry_run           boolean NOT NULL,
    register_unknown  boolean NOT NULL DEFAULT false,
    default_industry  text,
    idempotency_key   text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    state             text NOT NULL DEFAULT 'queued'
                      CHECK (state IN ('queued', 'validating', 'validated', 'committing',
                                       'regrading', 'done', 'failed')),
    rows_total        integer NOT NULL DEFAULT 0,
    rows_refused      integer NOT NULL DEFAULT 0,
    inserted          integer NOT NULL DEFAULT 0,
    corrected         integer NOT NULL DEFAULT 0,
    withdrawn         integer NOT NULL DEFAULT 0,
    unchanged         integer NOT NULL DEFAULT 0,
    registered        integer NOT NULL DEFAULT 0,
    subjects_affected integer NOT NULL DEFAULT 0,
    subjects_regraded integer NOT NULL DEFAULT 0,
    problems_listed   integer NOT NULL DEFAULT 0,
    failure_slug      text,
    failure           text,
    regrade_cursor    text NOT NULL DEFAULT '',
    today             date,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    committed_at      timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (department, idempotency_key)
);
CREATE INDEX import_jobs_department_idx ON import_jobs (department, id DESC);
CREATE INDEX import_jobs_pending_idx ON import_jobs (id)
    WHERE state IN ('queued', 'validating', 'committing', 'regrading');

-- The uploaded file (or batch), in chunks, until the job is done with it.
CREATE TABLE import_files (
    job_id  bigint NOT NULL REFERENCES import_jobs (id),
    seq     integer NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (job_id, seq)
);

-- The row-level report: row, column, problem (in Chinese), the value as given.
CREATE TABLE import_problems (
    job_id      bigint NOT NULL REFERENCES import_jobs (id),
    n           integer NOT NULL,
    row_no      integer NOT NULL,
    column_name text NOT NULL,
    code        text NOT NULL,
    message     text NOT NULL,
    value       text NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, n)
);

-- Subjects whose file a committed job changed: regraded in batches after the rows land.
CREATE TABLE import_affected (
    job_id      bigint NOT NULL REFERENCES import_jobs (id),
    subject_id  text NOT NULL REFERENCES subjects (id),
    PRIMARY KEY (job_id, subject_id)
);

-- 重错码治理 review list: suspected duplicate and wrong codes, resolved by a department
-- (merge, correct, dismiss), every resolution audited. One open item per kind and key.
CREATE TABLE code_reviews (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('bad_check_character', 'name_with_several_codes',
                                               'code_with_several_names',
                                               'individual_code_reused')),
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    department   text REFERENCES departments (code),
    subject_ids  text[] NOT NULL DEFAULT '{}',
    codes        text[] NOT NULL DEFAULT '{}',
    names        text[] NOT NULL DEFAULT '{}',
    evidence     jsonb NOT NULL DEFAULT '[]',
    found_by     text NOT NULL,
    status       text NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'merged', 'corrected', 'dismissed')),
    resolution   jsonb,
    reason       text,
    resolved_by  text,
    found_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz,
    CHECK ((status = 'open') = (resolved_at IS NULL))
);
CREATE UNIQUE INDEX code_reviews_open_key ON code_reviews (kind, key) WHERE status = 'open';
CREATE INDEX code_reviews_department_idx ON code_reviews (department, id DESC);
