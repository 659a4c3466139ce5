-- 信用+家政 own data: a subject's staff report (从业人员情况: workers, certified workers), recorded
-- by the owning department (PUT /api/v1/scenarios/housekeeping/worker-checks/{subject_id}) or imported.
-- A scenario's tables are prefixed with its key; its migrations are numbered from 0001 and never
-- edited once applied.
CREATE TABLE housekeeping_worker_checks (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id        text NOT NULL REFERENCES subjects (id),
    reported_on       date NOT NULL,
    workers           integer NOT NULL CHECK (workers > 0),
    certified_workers integer NOT NULL CHECK (certified_workers BETWEEN 0 AND workers),
    recorded_by       text,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subject_id, reported_on)
);
