-- 信用+家政 own data: a company's quarterly staff report (持证上岗, 体检).
CREATE TABLE housekeeping_worker_checks (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id        text NOT NULL REFERENCES subjects (id),
    reported_on       date NOT NULL,
    workers           integer NOT NULL CHECK (workers > 0),
    certified_workers integer NOT NULL CHECK (certified_workers BETWEEN 0 AND workers),
    UNIQUE (subject_id, reported_on)
);
