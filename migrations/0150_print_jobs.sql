-- 批量印制 print jobs: a department orders every code of a region, a district or an industry as
-- one PDF of N-up sheets or a ZIP of images with a manifest. Worked in the background by any API
-- worker (or `xinyi-api codes export`), claimed with FOR UPDATE SKIP LOCKED; a running job whose
-- heartbeat is older than XINYI_PRINT_LEASE_SECONDS is taken over (attempt + 1 fences the old
-- worker out). Progress is checkpointed per chunk: a restart truncates the output to bytes_done
-- and carries on.
CREATE TABLE print_jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    department    text REFERENCES departments (code),  -- NULL: an operator's CLI export
    created_by    text NOT NULL,
    filters       jsonb NOT NULL,
    format        text NOT NULL CHECK (format IN ('pdf', 'zip')),
    options       jsonb NOT NULL,
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'done', 'failed', 'expired')),
    total         integer NOT NULL DEFAULT 0 CHECK (total >= 0),
    done          integer NOT NULL DEFAULT 0 CHECK (done >= 0 AND done <= total),
    error         text,
    attempt       integer NOT NULL DEFAULT 0,
    chunks_done   integer NOT NULL DEFAULT 0,
    bytes_done    bigint NOT NULL DEFAULT 0,
    next_object   integer NOT NULL DEFAULT 0,
    worker        text,
    output_name   text,
    output_bytes  bigint,
    created_at    timestamptz NOT NULL,
    started_at    timestamptz,
    heartbeat_at  timestamptz,
    finished_at   timestamptz,
    CHECK ((status = 'done') = (output_name IS NOT NULL AND output_bytes IS NOT NULL)
           OR status = 'expired')
);
-- One job at a time per department: a second order waits for the first (409).
CREATE UNIQUE INDEX print_jobs_one_active_per_department ON print_jobs (department)
    WHERE status IN ('queued', 'running') AND department IS NOT NULL;
CREATE INDEX print_jobs_claimable_idx ON print_jobs (id) WHERE status IN ('queued', 'running');
CREATE INDEX print_jobs_department_idx ON print_jobs (department, id DESC);

-- What was ordered, fixed when the job is created (seq 1..total, in subject id order): the job
-- prints exactly this list however long it runs or often it restarts. Dropped when it ends.
CREATE TABLE print_job_items (
    job_id      bigint NOT NULL REFERENCES print_jobs (id) ON DELETE CASCADE,
    seq         integer NOT NULL CHECK (seq >= 1),
    subject_id  text NOT NULL REFERENCES subjects (id),
    PRIMARY KEY (job_id, seq)
);

-- One row per finished chunk, written in the transaction that moves the job's checkpoint: the
-- PDF's cross-reference entries or the ZIP's central-directory records of the chunk, its page
-- tree node (PDF) and its manifest rows (ZIP), streamed back when the output is finished.
CREATE TABLE print_job_chunks (
    job_id     bigint NOT NULL REFERENCES print_jobs (id) ON DELETE CASCADE,
    chunk      integer NOT NULL CHECK (chunk >= 0),
    last_seq   integer NOT NULL,
    count      integer NOT NULL,
    bytes_end  bigint NOT NULL,
    node       integer,
    pages      integer NOT NULL DEFAULT 0,
    directory  bytea NOT NULL,
    manifest   text NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, chunk)
);
