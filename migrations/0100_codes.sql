-- 诚信码 integrity codes (issue 3): one active code per subject (一企一码 / 一店一档), issued by
-- a trigger when the subject is created, reissued on request (the old code is then 'replaced').
--
-- The token printed in the QR is NOT stored: Ed25519 signatures are deterministic, so
-- (serial, key_number) always gives the same token and the server recomputes it
-- (xinyi_api.codes.token.encode_code_token). The signing key is the newest live `code` key in
-- signing_keys when the code is issued; a code keeps its key number for its whole life.

CREATE TABLE codes (
    serial       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id   text NOT NULL REFERENCES subjects (id),
    key_number   integer NOT NULL CHECK (key_number BETWEEN 0 AND 2147483647),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'replaced')),
    replaced_by  bigint REFERENCES codes (serial),
    reason       text CHECK (length(reason) <= 500),
    reissued_by  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    replaced_at  timestamptz,
    CHECK ((status = 'replaced') = (replaced_at IS NOT NULL)),
    CHECK (replaced_by IS NULL OR status = 'replaced')
);
-- 一企一码: at most one active code per subject; the index also serves "the code of subject X".
CREATE UNIQUE INDEX codes_one_active_per_subject ON codes (subject_id) WHERE status = 'active';
CREATE INDEX codes_subject_idx ON codes (subject_id, serial DESC);

CREATE TRIGGER codes_no_delete BEFORE DELETE ON codes
    FOR EACH ROW EXECUTE FUNCTION forbid_delete();

-- The key number new codes are signed with: the newest live code key. Before the first key
-- exists (a fresh database, migrations run before `ensure_keys`) it is 1, the number the first
-- key gets.
CREATE FUNCTION current_code_key_number() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT coalesce(max(number), 1) FROM signing_keys WHERE purpose = 'code' AND retired_at IS NULL
$$;

-- Set-based: one INSERT … SELECT per statement, so a bulk load of subjects stays fast.
CREATE FUNCTION issue_codes_for_new_subjects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO codes (subject_id, key_number)
    SELECT id, current_code_key_number() FROM new_subjects ORDER BY id;
    RETURN NULL;
END $$;

CREATE TRIGGER subjects_issue_code AFTER INSERT ON subjects
    REFERENCING NEW TABLE AS new_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION issue_codes_for_new_subjects();

-- Backfill: every subject created before this migration gets its code now.
INSERT INTO codes (subject_id, key_number)
SELECT s.id, current_code_key_number()
FROM subjects s
WHERE NOT EXISTS (SELECT 1 FROM codes c WHERE c.subject_id = s.id)
ORDER BY s.id;

-- 扫码统计 scans per subject (store or enterprise code) per day in the programme's time zone.
-- Only counts: an anonymous scan leaves no personal data behind. Written in batches by each
-- worker's flusher (INSERT … ON CONFLICT DO UPDATE SET count = count + excluded.count).
CREATE TABLE scan_daily (
    subject_id  text NOT NULL REFERENCES subjects (id),
    day         date NOT NULL,
    count       bigint NOT NULL CHECK (count >= 0),
    PRIMARY KEY (subject_id, day)
);
