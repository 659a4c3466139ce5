-- 个人信用 personal credit (docs/personal-credit.md): records about natural persons, who are the
-- pseudonymous consumer accounts of migration 0300, and the dynamic personal credit codes
-- (动态个人信用码) a person shows to a scenario partner (a hospital, a hotel, a property company).
--
-- Nothing here names a person: person_id is the pseudonymous consumer id.

-- A fact about a person that grading counts while occurred_on <= day <= counts_until.
-- kind 'payment': a pay-later bill (先医后付); 'scenario_points': something the scenario named in
-- source rewards with a CreditPoints person measure (物业费按时交纳). source/source_ref identify
-- what produced it (the bill id, the property company's report) and make every report idempotent. Malicious ratings (恶意评价) are not copied here: the
-- moderation decisions (rating_decisions) are read directly.
CREATE SEQUENCE person_record_id_seq;
CREATE TABLE person_records (
    id                 text PRIMARY KEY
                       DEFAULT 'P' || lpad(nextval('person_record_id_seq')::text, 10, '0'),
    person_id          text NOT NULL REFERENCES app_accounts (id),
    kind               text NOT NULL CHECK (kind IN ('payment', 'scenario_points')),
    result             text NOT NULL CHECK (result IN ('on_time', 'late', 'overdue')),
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    occurred_on        date NOT NULL,
    counts_until       date NOT NULL CHECK (counts_until >= occurred_on),
    source             text NOT NULL,
    source_ref         text NOT NULL CHECK (length(source_ref) BETWEEN 1 AND 80),
    source_department  text NOT NULL,
    recorded_by        text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (person_id, source, source_ref)
);
CREATE INDEX person_records_person_idx ON person_records (person_id, occurred_on DESC);

-- Records are never deleted: an overdue bill that is paid becomes 'late', it does not vanish.
CREATE FUNCTION person_records_forbid_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'person_records are never deleted';
END $$;
CREATE TRIGGER person_records_no_delete BEFORE DELETE ON person_records
    FOR EACH ROW EXECUTE FUNCTION person_records_forbid_delete();

-- 动态个人信用码: one row per issued code. The code itself carries an HMAC over (expiry, nonce);
-- the row maps the nonce to the person (the code does not name them) and is spent exactly once
-- by UPDATE … WHERE used_at IS NULL.
CREATE TABLE personal_codes (
    nonce       bytea PRIMARY KEY CHECK (length(nonce) = 12),
    person_id   text NOT NULL REFERENCES app_accounts (id),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    used_by     text,
    used_for    text
);
CREATE INDEX personal_codes_person_idx ON personal_codes (person_id, issued_at DESC);
CREATE INDEX personal_codes_expiry_idx ON personal_codes (expires_at);
