-- Stored scan profiles (xinyi_api.codes.materialise, migrations/0104_scan_profiles.sql).

-- name: codes_for_profiles
-- The codes of a batch with what building their profiles needs (codes/queries.sql
-- code_by_serial) and their scan_codes state: the version the profile is built from.
SELECT c.serial, c.subject_id, c.key_number, c.status, c.replaced_by, c.created_at,
       s.type, s.name, s.address, s.region_code, s.industry, s.closed_at, s.closed_reason,
       s.enterprise_id, s.uscc,
       e.id AS owner_id, e.name AS owner_name, e.type AS owner_type, e.uscc AS owner_uscc,
       e.closed_at AS owner_closed_at,
       sc.version, sc.token_digest
FROM codes c
JOIN scan_codes sc ON sc.serial = c.serial
JOIN subjects s ON s.id = c.subject_id
JOIN subjects e ON e.id = coalesce(s.enterprise_id, s.id)
WHERE c.serial = ANY($1::bigint[])
ORDER BY c.serial;

-- name: store_digests
-- Token digests, for the key the code still has. The builder never waits for a row lock (SKIP
-- LOCKED): a row locked by a change is being marked dirty and is rebuilt later anyway, and
-- waiting could deadlock with a change marking rows in another order.
-- One look-up per serial, as in clear_dirty.
WITH target AS (
    SELECT c.serial, u.digest
    FROM unnest($1::bigint[], $2::int[], $3::bytea[]) AS u (serial, key_number, digest)
    CROSS JOIN LATERAL (
        SELECT c.serial FROM scan_codes c
        WHERE c.serial = u.serial AND c.key_number = u.key_number AND c.token_digest IS NULL
        FOR UPDATE SKIP LOCKED
    ) c
)
UPDATE scan_codes c SET token_digest = t.digest FROM target t WHERE c.serial = t.serial;

-- name: store_profiles
-- Each profile only while its code still has the version it was built from (read in the
-- build's snapshot): a change committed since has bumped it, and the code stays dirty. Between
-- two builds of the same version the later day wins. The owner follows the subject row.
WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $5::date[], $6::bytea[], $7::bytea[],
                         $8::text[])
        AS u (serial, version, fresh_until, json, html, owner_id)
), moved AS (
    SELECT c.serial, i.owner_id
    FROM scan_codes c JOIN input i ON c.serial = i.serial AND c.version = i.version
    WHERE c.owner_id <> i.owner_id
    FOR UPDATE OF c SKIP LOCKED
), current AS (
    UPDATE scan_codes c SET owner_id = m.owner_id FROM moved m WHERE c.serial = m.serial
    RETURNING c.serial
)
INSERT INTO scan_profiles AS p (serial, version, config, built_on, fresh_until, built_at,
                                json, html)
SELECT i.serial, i.version, $3, $4, i.fresh_until, now(), i.json, i.html
FROM input i JOIN scan_codes c ON c.serial = i.serial AND c.version = i.version
ON CONFLICT (serial) DO UPDATE
    SET version = excluded.version, config = excluded.config, built_on = excluded.built_on,
        fresh_until = excluded.fresh_until, built_at = excluded.built_at,
        json = excluded.json, html = excluded.html
    WHERE (p.version, p.built_on) <= (excluded.version, excluded.built_on);

-- name: clear_dirty
-- Only codes whose version is still the one the batch read: how many were cleared. One look-up
-- per serial of the batch (LATERAL), whatever the statistics say: after a mass change (a
-- regrade marks a million codes dirty) they still count almost none dirty until the next
-- ANALYZE, and a plain join then hashed every dirty code for each batch (1.6 s instead of 1 ms
-- per 500 at 1.2 million codes).
WITH target AS (
    SELECT c.serial
    FROM unnest($1::bigint[], $2::bigint[]) AS u (serial, version)
    CROSS JOIN LATERAL (
        SELECT c.serial FROM scan_codes c
        WHERE c.serial = u.serial AND c.version = u.version AND c.dirty
        FOR UPDATE SKIP LOCKED
    ) c
), cleared AS (
    UPDATE scan_codes c SET dirty = false FROM target t WHERE c.serial = t.serial
    RETURNING 1
)
SELECT count(*) FROM cleared;

-- name: dirty_after
SELECT serial FROM scan_codes WHERE dirty AND serial > $1 AND serial <= $2
ORDER BY serial LIMIT $3;

-- name: mark_past_fresh_until
WITH target AS (
    SELECT c.serial FROM scan_codes c JOIN scan_profiles p ON p.serial = c.serial
    WHERE p.fresh_until < $1 AND NOT c.dirty
    FOR UPDATE OF c SKIP LOCKED
), marked AS (
    UPDATE scan_codes c SET dirty = true FROM target t WHERE c.serial = t.serial
    RETURNING 1
)
SELECT count(*) FROM marked;

-- name: max_serial
SELECT max(serial) FROM scan_codes;

-- name: mark_other_config
WITH target AS (
    SELECT c.serial FROM scan_codes c JOIN scan_profiles p ON p.serial = c.serial
    WHERE p.serial >= $2 AND p.serial < $3 AND p.config <> $1 AND NOT c.dirty
    FOR UPDATE OF c SKIP LOCKED
), marked AS (
    UPDATE scan_codes c SET dirty = true FROM target t WHERE c.serial = t.serial
    RETURNING 1
)
SELECT count(*) FROM marked;

-- name: take_lease
-- The builder lease: free, expired or ours → ours for $2 more seconds.
UPDATE scan_profile_builder
SET holder = $1, until = clock_timestamp() + make_interval(secs => $2)
WHERE singleton AND (holder = $1 OR until < clock_timestamp())
RETURNING true;

-- name: release_lease
UPDATE scan_profile_builder SET until = '-infinity' WHERE singleton AND holder = $1;

-- name: read_profiles
-- Scans' misses, coalesced (batch.py): for each (serial, page) asked — $1 the serials, $2
-- whether each wants the H5 page — the code and its stored profile, in one statement, with the
-- xmin of the statement's snapshot (every transaction id below it is committed or aborted
-- there: on a replica, whether a change a notification announced has been replayed). A serial
-- this database never issued comes back with the code's columns NULL.
SELECT s.snapshot_xmin, q.asked, q.page, c.serial, c.subject_id, c.owner_id, c.key_number,
       c.status, c.token_digest, c.version, p.version AS built_version, p.config, p.built_on,
       p.fresh_until, p.json, CASE WHEN q.page THEN p.html END AS html
FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS snapshot_xmin) s
CROSS JOIN unnest($1::bigint[], $2::boolean[]) AS q(asked, page)
LEFT JOIN scan_codes c ON c.serial = q.asked
LEFT JOIN scan_profiles p ON p.serial = c.serial;
