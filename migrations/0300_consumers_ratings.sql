-- Consumers and merchants (消费者 / 经营者): pseudonymous accounts, refresh tokens, rate limits,
-- visit proofs (到店证明), claim codes; ratings (消费者评价) with replies, helpful votes, reports
-- and moderation; complaints (投诉). See docs/consumers.md.

-- Accounts are keyed by a pseudonymous id (HMAC of the WeChat openid); the openid is not stored.
CREATE TABLE app_accounts (
    id             text PRIMARY KEY CHECK (id ~ '^[cm]_[a-z2-7]{26}$'),
    role           text NOT NULL CHECK (role IN ('consumer', 'merchant')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_login_at  timestamptz NOT NULL DEFAULT now()
);

-- Opaque refresh tokens, stored as sha256. Rotating: each use marks the token used and issues
-- the next one of the same family; presenting a used token again revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash   bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    family_id    uuid NOT NULL,
    account_id   text NOT NULL,
    role         text NOT NULL CHECK (role IN ('consumer', 'merchant')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry_idx ON refresh_tokens (expires_at);

-- Fixed-window rate-limit counters shared by every worker: one row per (bucket, window).
CREATE TABLE rate_limit_counters (
    bucket        text NOT NULL,
    window_start  timestamptz NOT NULL,
    n             integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limit_counters_window_idx ON rate_limit_counters (window_start);

-- 到店证明 visit proofs: the last scan of a store's code by a logged-in consumer.
CREATE TABLE visit_proofs (
    consumer_id  text NOT NULL,
    subject_id   text NOT NULL REFERENCES subjects (id),
    first_at     timestamptz NOT NULL,
    last_at      timestamptz NOT NULL,
    scans        integer NOT NULL DEFAULT 1,
    PRIMARY KEY (consumer_id, subject_id)
);

-- One-time claim codes (认领码) a department issues for an enterprise; only the hash is kept.
CREATE TABLE claim_codes (
    code_hash      bytea PRIMARY KEY CHECK (length(code_hash) = 32),
    enterprise_id  text NOT NULL REFERENCES subjects (id),
    issued_by      text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    used_by        text
);
CREATE INDEX claim_codes_enterprise_idx ON claim_codes (enterprise_id);

-- 消费者评价 ratings. One per consumer and store per 30-day period: rating_slots holds the
-- consumer's current period for a store and is the row concurrent submissions serialise on;
-- UNIQUE (consumer_id, subject_id, period_start) backs it up. department: who moderates it (the
-- owner of the store's scenario, else the store's creating department).
CREATE SEQUENCE rating_id_seq;
CREATE TABLE ratings (
    id              text PRIMARY KEY DEFAULT 'T' || lpad(nextval('rating_id_seq')::text, 10, '0'),
    consumer_id     text NOT NULL,
    subject_id      text NOT NULL REFERENCES subjects (id),
    department      text NOT NULL,
    period_start    timestamptz NOT NULL,
    stars           smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
    dimensions      jsonb NOT NULL DEFAULT '{}',
    text            text NOT NULL DEFAULT '' CHECK (length(text) <= 500),
    text_hash       text,
    status          text NOT NULL CHECK (status IN ('published', 'held', 'removed')),
    hold_reasons    text[] NOT NULL DEFAULT '{}',
    reported        boolean NOT NULL DEFAULT false,
    helpful_count   integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (consumer_id, subject_id, period_start)
);
CREATE INDEX ratings_subject_idx ON ratings (subject_id, status, created_at DESC);
CREATE INDEX ratings_consumer_idx ON ratings (consumer_id, created_at DESC);
CREATE INDEX ratings_text_idx ON ratings (text_hash, created_at) WHERE text_hash IS NOT NULL;
CREATE INDEX ratings_queue_idx ON ratings (department, created_at)
    WHERE status = 'held' OR reported;

CREATE TABLE rating_slots (
    consumer_id   text NOT NULL,
    subject_id    text NOT NULL REFERENCES subjects (id),
    period_start  timestamptz NOT NULL,
    rating_id     text REFERENCES ratings (id) ON DELETE SET NULL,
    PRIMARY KEY (consumer_id, subject_id)
);

-- 商家回复 the merchant's reply (one per rating, editable).
CREATE TABLE rating_replies (
    rating_id    text PRIMARY KEY REFERENCES ratings (id) ON DELETE CASCADE,
    merchant_id  text NOT NULL,
    text         text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rating_helpful_votes (
    rating_id    text NOT NULL REFERENCES ratings (id) ON DELETE CASCADE,
    consumer_id  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rating_id, consumer_id)
);

-- A merchant's report that a rating is abusive (恶意评价); it puts the rating in the queue.
CREATE TABLE rating_reports (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rating_id    text NOT NULL REFERENCES ratings (id) ON DELETE CASCADE,
    merchant_id  text NOT NULL,
    reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz,
    UNIQUE (rating_id, merchant_id)
);

-- 审核决定 moderation decisions. Kept when the consumer deletes the rating: a rating removed as
-- malicious (恶意评价) is itself a dishonest act and may later feed personal credit.
CREATE TABLE rating_decisions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rating_id     text REFERENCES ratings (id) ON DELETE SET NULL,
    consumer_id   text NOT NULL,
    subject_id    text NOT NULL REFERENCES subjects (id),
    department    text NOT NULL,
    decided_by    text NOT NULL,
    decision      text NOT NULL CHECK (decision IN ('approve', 'remove')),
    malicious     boolean NOT NULL DEFAULT false,
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    decided_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (decision = 'remove' OR NOT malicious)
);
CREATE INDEX rating_decisions_consumer_idx ON rating_decisions (consumer_id);

-- 投诉 complaints, handled by the department of the store's scenario.
CREATE SEQUENCE complaint_id_seq;
CREATE TABLE complaints (
    id            text PRIMARY KEY DEFAULT 'Q' || lpad(nextval('complaint_id_seq')::text, 10, '0'),
    consumer_id   text NOT NULL,
    subject_id    text NOT NULL REFERENCES subjects (id),
    department    text NOT NULL,
    category      text NOT NULL,
    text          text NOT NULL CHECK (length(text) BETWEEN 1 AND 1000),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'rejected')),
    outcome       text,
    record_id     text REFERENCES credit_records (id),
    decided_by    text,
    decided_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'open') = (decided_at IS NULL)),
    CHECK ((status = 'upheld') = (record_id IS NOT NULL))
);
CREATE INDEX complaints_department_idx ON complaints (department, status, created_at);
CREATE INDEX complaints_consumer_idx ON complaints (consumer_id, created_at DESC);

-- Scan profiles show the rating summary: announce changes to every worker's cache.
CREATE TRIGGER ratings_notify_ins AFTER INSERT ON ratings
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
CREATE TRIGGER ratings_notify_upd AFTER UPDATE ON ratings
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
CREATE TRIGGER ratings_notify_del AFTER DELETE ON ratings
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
