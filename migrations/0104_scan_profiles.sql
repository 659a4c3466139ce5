-- Materialised scan profiles 扫码信息物化 (issue 15): a worker's cache miss is one indexed read.
--
-- Until now a worker that had no scan profile in memory built it: a REPEATABLE READ snapshot
-- with the code, the grade, the records and every contributor's queries, then — for a version-2
-- token scanned for the first time — the code's own BLS token computed to compare with (~0.4 ms
-- of CPU). At a million codes most scans of a Zipf mix are such misses on some worker.
--
-- Two tables:
--
-- * scan_codes — one small row per code (kept in step with `codes` by triggers): its subject and
--   the enterprise that owns it, key number, status, a digest of its token (BLAKE2b-128 of the
--   upper-case token text, written by a process that holds the key; the token itself is public,
--   printed on the sticker) and `version`, bumped IN THE TRANSACTION of every change the
--   subject's profile depends on (xinyi_notify_subjects below), with `dirty` set;
-- * scan_profiles — the profile as the workers serve it, per code: the JSON bytes, the H5 page,
--   the `version` of scan_codes it was built from, the configuration it was built under
--   (`config`: scenarios, programme name, format), the day it was built for and the last day its
--   content stays right by the date alone (`fresh_until`: a record leaves its display period, a
--   grade graded on read changes).
--
-- A profile is served from here only if its version equals the code's, its config equals the
-- reader's and built_on <= today <= fresh_until; then the miss is one read of both rows by serial
-- and a constant-time comparison of token digests — no signature, no pairing. Otherwise the
-- worker builds the profile itself as before. A builder (xinyi_api.codes.materialise: one worker
-- at a time, holding the lease below, woken by the change notifications; and the job
-- `codes.profiles`) rebuilds dirty rows; it writes a profile only with the version it read in
-- the same snapshot as the data, so a change committed meanwhile leaves the row dirty.

CREATE TABLE scan_codes (
    serial        bigint PRIMARY KEY REFERENCES codes (serial),
    subject_id    text NOT NULL,
    owner_id      text NOT NULL,
    key_number    integer NOT NULL,
    status        text NOT NULL,
    token_digest  bytea CHECK (length(token_digest) = 16),
    version       bigint NOT NULL DEFAULT 1,
    changed_xid   xid8,
    dirty         boolean NOT NULL DEFAULT true
) WITH (fillfactor = 80);
-- What a change marks: the codes of the changed subjects, and of the stores of a changed
-- enterprise (a store's profile shows its enterprise).
CREATE INDEX scan_codes_subject_idx ON scan_codes (subject_id);
CREATE INDEX scan_codes_owner_idx ON scan_codes (owner_id) WHERE owner_id <> subject_id;
-- The builder's queue: small, only what is dirty.
CREATE INDEX scan_codes_dirty_idx ON scan_codes (serial) WHERE dirty;

CREATE TABLE scan_profiles (
    serial       bigint PRIMARY KEY REFERENCES scan_codes (serial),
    version      bigint NOT NULL,
    config       text NOT NULL,
    built_on     date NOT NULL,
    fresh_until  date,
    built_at     timestamptz NOT NULL DEFAULT now(),
    json         bytea NOT NULL,
    html         bytea
);
-- Compressed (pglz) but kept in the row: one heap page read per profile, no TOAST look-up.
ALTER TABLE scan_profiles ALTER COLUMN json SET STORAGE MAIN,
                          ALTER COLUMN html SET STORAGE MAIN;
-- The day rollover: profiles whose content changes by the date alone.
CREATE INDEX scan_profiles_fresh_until_idx ON scan_profiles (fresh_until)
    WHERE fresh_until IS NOT NULL;

-- Who rebuilds dirty profiles: one process at a time, renewing its lease (no session state, so
-- it works through a transaction-mode pooler).
CREATE TABLE scan_profile_builder (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    holder     text NOT NULL,
    until      timestamptz NOT NULL
);
INSERT INTO scan_profile_builder (holder, until) VALUES ('', '-infinity');

-- scan_codes follows codes (set-based, like the issuing trigger).
CREATE FUNCTION scan_codes_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scan_codes (serial, subject_id, owner_id, key_number, status)
    SELECT n.serial, n.subject_id, coalesce(s.enterprise_id, s.id), n.key_number, n.status
    FROM new_codes n JOIN subjects s ON s.id = n.subject_id;
    RETURN NULL;
END $$;

CREATE FUNCTION scan_codes_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE scan_codes c
    SET status = n.status, key_number = n.key_number, version = c.version + 1, dirty = true,
        changed_xid = pg_current_xact_id(),
        token_digest = CASE WHEN c.key_number = n.key_number THEN c.token_digest END
    FROM new_codes n
    WHERE c.serial = n.serial AND (c.status, c.key_number) IS DISTINCT FROM (n.status, n.key_number);
    RETURN NULL;
END $$;

CREATE TRIGGER codes_scan_codes_ins AFTER INSERT ON codes
    REFERENCING NEW TABLE AS new_codes
    FOR EACH STATEMENT EXECUTE FUNCTION scan_codes_insert();
CREATE TRIGGER codes_scan_codes_upd AFTER UPDATE ON codes
    REFERENCING NEW TABLE AS new_codes
    FOR EACH STATEMENT EXECUTE FUNCTION scan_codes_update();

INSERT INTO scan_codes (serial, subject_id, owner_id, key_number, status)
SELECT c.serial, c.subject_id, coalesce(s.enterprise_id, s.id), c.key_number, c.status
FROM codes c JOIN subjects s ON s.id = c.subject_id;

-- Change notifications (0101, 0103) now also mark the profiles they make stale, in the same
-- transaction, and carry the transaction's id: `<xid>:<ids>` or `<xid>:*`. A worker reading
-- from a replica compares that id with the replica snapshot's xmin (an id below it is committed
-- and visible there) before it caches what it read (xinyi_api.codes.freshness).
--
-- Marking touches every code of the changed subjects (not only the first 400 the payload can
-- name), once per transaction (changed_xid), so a batch of 5 000 grades marks 5 000 rows with
-- one statement.
CREATE OR REPLACE FUNCTION xinyi_notify_subjects(ids text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    xid xid8;
    serials bigint[];
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    xid := pg_current_xact_id();
    -- The codes to mark: two lookups, one per index. One OR of both conditions, on a table
    -- without statistics yet (just bulk-loaded), took over 90 s for 20 000 ids over 1.2 million
    -- codes; this 0.6 s, and 0.1–0.2 s for 5 000 ids with statistics, as the OR did.
    SELECT array_agg(t.serial) INTO serials
    FROM (SELECT c.serial FROM scan_codes c WHERE c.subject_id = ANY (ids)
          UNION
          SELECT c.serial FROM scan_codes c
          WHERE c.owner_id = ANY (ids) AND c.owner_id <> c.subject_id) t;
    -- Then they are locked in serial order, whoever marks, so two changes never deadlock here.
    -- A separate statement, joined to the array: when a row was changed by a concurrent
    -- transaction, FOR UPDATE rechecks only that row, where a subquery in this statement
    -- would run again for each such row (two first loads marking the same enterprises' stores
    -- spent minutes per batch there).
    WITH target AS (
        SELECT s.serial
        FROM unnest(serials) AS t (serial) JOIN scan_codes s ON s.serial = t.serial
        WHERE s.changed_xid IS DISTINCT FROM xid
        ORDER BY s.serial
        FOR UPDATE OF s
    )
    UPDATE scan_codes c SET version = c.version + 1, dirty = true, changed_xid = xid
    FROM target t WHERE c.serial = t.serial;
    -- A payload must stay under 8000 bytes; subject ids are 9 characters.
    IF cardinality(ids) > 400 THEN
        PERFORM pg_notify('xinyi_changes', xid::text || ':*');
    ELSE
        PERFORM pg_notify('xinyi_changes', xid::text || ':' || array_to_string(ids, ','));
    END IF;
END $$;

CREATE OR REPLACE FUNCTION xinyi_notify_changed_subjects() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text[];
BEGIN
    IF TG_ARGV[0] = 'subject_id' THEN
        SELECT array_agg(DISTINCT subject_id) INTO ids FROM changed_rows;
    ELSIF TG_ARGV[0] = 'id' THEN
        SELECT array_agg(DISTINCT id) INTO ids FROM changed_rows;
    ELSE
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM changed_rows', TG_ARGV[0]) INTO ids;
    END IF;
    PERFORM xinyi_notify_subjects(ids);
    RETURN NULL;
END $$;
