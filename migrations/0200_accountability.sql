-- Accountability (issue 6): 查询使用登记 audit log, 异议 objections, 信用修复 repairs,
-- 信用承诺 commitments, 信用商圈/信用街区 districts.

-- 查询使用登记 / 操作留痕: the append-only, hash-chained audit log. Each entry's hash is sha256
-- over a canonical JSON serialisation of the entry (prev_hash included), so changing or deleting
-- any row breaks the chain. Ids are gap-free (taken from audit_chain_head under its row lock), so
-- a deleted row also shows as a missing id. `xinyi-api audit verify` walks the chain.
CREATE TABLE audit_log (
    id          bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    role        text NOT NULL,
    department  text,
    subject_id  text,
    action      text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{1,60}$'),
    endpoint    text NOT NULL,
    purpose     text,
    detail      jsonb NOT NULL DEFAULT '{}',
    prev_hash   text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_id, id DESC) WHERE subject_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id DESC);

-- The single row every append locks (SELECT … FOR UPDATE): two workers can never fork the chain.
CREATE TABLE audit_chain_head (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_id     bigint NOT NULL,
    last_hash   text NOT NULL
);
INSERT INTO audit_chain_head (singleton, last_id, last_hash) VALUES (true, 0, repeat('0', 64));

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (查询使用登记 entries are never changed or deleted)'
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- 异议 objections: a merchant disputes a record; the source department decides within
-- 5 working days (due_on, computed with the holiday calendar).
CREATE SEQUENCE objection_id_seq;
CREATE TABLE objections (
    id               text PRIMARY KEY,
    record_id        text NOT NULL REFERENCES credit_records (id),
    subject_id       text NOT NULL REFERENCES subjects (id),
    merchant_id      text NOT NULL,
    reason           text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    attachments      jsonb NOT NULL DEFAULT '[]',
    status           text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'corrected', 'withdrawn', 'upheld')),
    filed_on         date NOT NULL,
    due_on           date NOT NULL,
    filed_at         timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    decided_by       text REFERENCES departments (code),
    decision_reason  text,
    CHECK (due_on > filed_on),
    CHECK ((status = 'open') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX objections_one_open_per_record ON objections (record_id) WHERE status = 'open';
CREATE INDEX objections_subject_idx ON objections (subject_id);

-- 信用承诺 commitments, public once signed; the addressee department marks them kept or broken.
CREATE SEQUENCE commitment_id_seq;
CREATE TABLE commitments (
    id                 text PRIMARY KEY,
    subject_id         text NOT NULL REFERENCES subjects (id),
    type               text NOT NULL CHECK (type IN ('approval_substitute', 'certificate_substitute',
                                        'credit_repair', 'public_disclosure', 'self_discipline')),
    department         text NOT NULL REFERENCES departments (code),
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    content            text NOT NULL CHECK (length(content) BETWEEN 1 AND 4000),
    signed_by          text NOT NULL,
    signed_on          date NOT NULL,
    valid_until        date,
    status             text NOT NULL DEFAULT 'in_force'
                       CHECK (status IN ('in_force', 'kept', 'broken')),
    assessed_at        timestamptz,
    assessed_by        text REFERENCES departments (code),
    assessment_reason  text,
    record_id          text REFERENCES credit_records (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_until IS NULL OR valid_until >= signed_on)
);
CREATE INDEX commitments_subject_idx ON commitments (subject_id, signed_on DESC);

-- 信用修复 repairs: the subject applies (with evidence and a 信用修复型 commitment) after the
-- minimum public period; the source department approves or refuses.
CREATE SEQUENCE repair_id_seq;
CREATE TABLE repairs (
    id               text PRIMARY KEY,
    record_id        text NOT NULL REFERENCES credit_records (id),
    subject_id       text NOT NULL REFERENCES subjects (id),
    merchant_id      text NOT NULL,
    statement        text NOT NULL CHECK (length(statement) BETWEEN 1 AND 2000),
    evidence         jsonb NOT NULL DEFAULT '[]',
    commitment_id    text NOT NULL REFERENCES commitments (id),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'refused')),
    applied_on       date NOT NULL,
    due_on           date NOT NULL,
    applied_at       timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    decided_by       text REFERENCES departments (code),
    decision_reason  text,
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX repairs_one_pending_per_record ON repairs (record_id) WHERE status = 'pending';
CREATE INDEX repairs_subject_idx ON repairs (subject_id);

-- 信用商圈 / 信用街区 districts: a department groups stores of its region.
CREATE SEQUENCE district_id_seq;
CREATE TABLE districts (
    id           text PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind         text NOT NULL CHECK (kind IN ('business_district', 'street')),
    region_code  text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    description  text NOT NULL DEFAULT '',
    created_by   text NOT NULL REFERENCES departments (code),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE district_stores (
    district_id  text NOT NULL REFERENCES districts (id),
    store_id     text NOT NULL REFERENCES subjects (id),
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district_id, store_id)
);
CREATE INDEX district_stores_store_idx ON district_stores (store_id);

-- 失信曝光台: severe adverse records inside their display period.
CREATE INDEX credit_records_severe_idx ON credit_records (occurred_on DESC, id DESC)
    WHERE severity = 'severe';
