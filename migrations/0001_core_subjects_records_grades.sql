-- Core schema: departments, credit subjects (一企一码 / 一店一档), credit records, grades, keys.
-- Enumerations are text with CHECK constraints so later migrations can widen them.

CREATE TABLE departments (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    name        text NOT NULL,
    region_code text CHECK (region_code ~ '^[0-9]{6}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE enterprise_id_seq;
CREATE SEQUENCE store_id_seq;
CREATE SEQUENCE record_id_seq;

-- 信用主体 credit subjects. Enterprises and 个体工商户 carry a 统一社会信用代码 (USCC); stores
-- (门店) belong to an enterprise and have their own credit file. Nothing is ever deleted: a closed
-- business keeps its row and gets closed_at.
CREATE TABLE subjects (
    id              text PRIMARY KEY,
    type            text NOT NULL CHECK (type IN ('enterprise', 'individual', 'store')),
    uscc            text UNIQUE CHECK (uscc ~ '^[0-9A-HJ-NP-RTUWXY]{18}$'),
    enterprise_id   text REFERENCES subjects (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    region_code     text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    industry        text NOT NULL CHECK (industry ~ '^[a-z][a-z0-9_]{1,39}$'),
    address         text NOT NULL DEFAULT '',
    latitude        double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude       double precision CHECK (longitude BETWEEN -180 AND 180),
    closed_at       timestamptz,
    closed_reason   text,
    created_by      text REFERENCES departments (code),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((type = 'store') = (enterprise_id IS NOT NULL)),
    CHECK ((type = 'store') = (uscc IS NULL)),
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE INDEX subjects_enterprise_idx ON subjects (enterprise_id) WHERE enterprise_id IS NOT NULL;
CREATE INDEX subjects_store_search_idx ON subjects (region_code, industry) WHERE type = 'store';

-- 信用记录 credit records. status moves active → objected → repaired / withdrawn; never deleted.
CREATE TABLE credit_records (
    id                text PRIMARY KEY,
    subject_id        text NOT NULL REFERENCES subjects (id),
    kind              text NOT NULL CHECK (kind IN ('licence', 'penalty', 'reward', 'inspection',
                                   'commitment', 'contract', 'complaint', 'judicial')),
    severity          text CHECK (severity IN ('minor', 'general', 'serious', 'severe')),
    result            text CHECK (result IN ('pass', 'rectify', 'fail', 'pending', 'kept', 'broken',
                                   'fulfilled', 'breached')),
    title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    content           text NOT NULL DEFAULT '',
    source_department text NOT NULL REFERENCES departments (code),
    legal_basis       text NOT NULL DEFAULT '',
    occurred_on       date NOT NULL,
    published_on      date NOT NULL,
    public_until      date NOT NULL,
    status            text NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'objected', 'repaired', 'withdrawn')),
    status_reason     text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (published_on >= occurred_on),
    CHECK (public_until >= occurred_on)
);
CREATE INDEX credit_records_subject_idx ON credit_records (subject_id, occurred_on DESC);

CREATE FUNCTION forbid_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted; change their status instead', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER credit_records_no_delete BEFORE DELETE ON credit_records
    FOR EACH ROW EXECUTE FUNCTION forbid_delete();
CREATE TRIGGER subjects_no_delete BEFORE DELETE ON subjects
    FOR EACH ROW EXECUTE FUNCTION forbid_delete();

-- 信用评价 current grades, one per subject and scheme ('public' or a scenario key), and their
-- history. The explanation lists every indicator and the records that moved it.
CREATE TABLE grades (
    subject_id     text NOT NULL REFERENCES subjects (id),
    scheme         text NOT NULL,
    rule_version   text NOT NULL,
    score          integer CHECK (score BETWEEN 0 AND 1000),
    grade          text NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D', 'unrated')),
    explanation    jsonb NOT NULL,
    computed_at    timestamptz NOT NULL DEFAULT now(),
    review_on      date,
    PRIMARY KEY (subject_id, scheme),
    CHECK ((grade = 'unrated') = (score IS NULL))
);
CREATE INDEX grades_scheme_grade_idx ON grades (scheme, grade);
CREATE INDEX grades_review_idx ON grades (review_on) WHERE review_on IS NOT NULL;

CREATE TABLE grade_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id    text NOT NULL REFERENCES subjects (id),
    scheme        text NOT NULL,
    rule_version  text NOT NULL,
    score         integer,
    grade         text NOT NULL,
    explanation   jsonb NOT NULL,
    computed_at   timestamptz NOT NULL
);
CREATE INDEX grade_history_subject_idx ON grade_history (subject_id, scheme, computed_at DESC);

-- Batch regrading runs, so that an interrupted `xinyi-api regrade` resumes where it stopped.
CREATE TABLE regrade_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scheme        text NOT NULL,
    rule_version  text NOT NULL,
    total         integer NOT NULL,
    processed     integer NOT NULL DEFAULT 0,
    last_subject  text,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);

-- Ed25519 signing keys shared by every worker. Private keys are PKCS#8, encrypted with
-- XINYI_SECRET_KEY. A retired key no longer verifies anything.
CREATE TABLE signing_keys (
    kid           text PRIMARY KEY,
    purpose       text NOT NULL CHECK (purpose IN ('access', 'code')),
    number        integer NOT NULL CHECK (number BETWEEN 1 AND 65535),
    private_pem   bytea NOT NULL,
    public_jwk    jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    retired_at    timestamptz,
    UNIQUE (purpose, number)
);
