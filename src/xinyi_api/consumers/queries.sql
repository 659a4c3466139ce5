-- name: rate_hit
-- Count one hit in each bucket's current fixed window (migrations/0301_…sql rate_limit_hit:
-- windows start at multiples of their length, so every worker agrees on them). Buckets sorted.
SELECT bucket, n, window_start FROM rate_limit_hit($1::text[], $2::int[]);

-- name: rate_gc
DELETE FROM rate_limit_counters WHERE window_start < now() - interval '8 days';

-- name: upsert_account
INSERT INTO app_accounts AS a (id, role) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET last_login_at = now()
RETURNING id, role, created_at;

-- name: insert_refresh
INSERT INTO refresh_tokens (token_hash, family_id, account_id, role, expires_at)
VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::int));

-- name: refresh_for_update
SELECT token_hash, family_id, account_id, role, expires_at, used_at, revoked_at,
       expires_at <= now() AS expired
FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE;

-- name: mark_refresh_used
UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1;

-- name: revoke_family
UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL;

-- name: refresh_gc
DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day';

-- name: touch_visit
INSERT INTO visit_proofs AS v (consumer_id, subject_id, first_at, last_at)
VALUES ($1, $2, now(), now())
ON CONFLICT (consumer_id, subject_id) DO UPDATE SET last_at = now(), scans = v.scans + 1
RETURNING last_at + make_interval(hours => $3::int) AS valid_until;

-- name: enterprise_for_claim
SELECT id, type, region_code FROM subjects WHERE id = $1;

-- name: insert_claim_code
INSERT INTO claim_codes (code_hash, enterprise_id, issued_by, expires_at)
VALUES ($1, $2, $3, now() + make_interval(days => $4::int))
RETURNING expires_at;

-- name: use_claim_code
UPDATE claim_codes SET used_at = now(), used_by = $2
WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
RETURNING enterprise_id;

-- name: link_merchant
INSERT INTO merchant_links (merchant_id, enterprise_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING;

-- name: merchant_enterprises
SELECT e.id, e.name, e.type, e.uscc, e.region_code, e.industry, l.linked_at,
       coalesce((SELECT json_agg(s.id ORDER BY s.id)
                 FROM subjects s WHERE s.enterprise_id = e.id), '[]') AS store_ids
FROM merchant_links l JOIN subjects e ON e.id = l.enterprise_id
WHERE l.merchant_id = $1
ORDER BY l.linked_at, e.id;

-- name: scan_counts
-- 扫码统计 of subjects $1 up to day $2: that day, the 7 and the 30 days ending with it.
SELECT subject_id,
       coalesce(sum(count) FILTER (WHERE day = $2), 0)::bigint AS today,
       coalesce(sum(count) FILTER (WHERE day > $2::date - 7), 0)::bigint AS last_7_days,
       coalesce(sum(count), 0)::bigint AS last_30_days
FROM scan_daily
WHERE subject_id = ANY($1::text[]) AND day > $2::date - 30 AND day <= $2
GROUP BY subject_id;

-- name: account
SELECT id, role, created_at, last_login_at FROM app_accounts WHERE id = $1;

-- name: my_visits
SELECT subject_id, first_at, last_at, scans FROM visit_proofs
WHERE consumer_id = $1 ORDER BY last_at DESC;

-- name: my_visits_page
-- A consumer's visit proofs (到店证明), most recent scan first, keyset-paged: $1 consumer,
-- $2 visit window (hours), $3/$4 the cursor (last_at, subject_id of the last item shown, or
-- NULL), $5 limit. valid: the proof still lets them rate or complain (as has_visit_proof).
SELECT v.subject_id, v.first_at, v.last_at, v.scans,
       v.last_at + make_interval(hours => $2::int) AS valid_until,
       v.last_at > now() - make_interval(hours => $2::int) AS valid
FROM visit_proofs v
WHERE v.consumer_id = $1
  AND ($3::timestamptz IS NULL OR (v.last_at, v.subject_id) < ($3, $4::text))
ORDER BY v.last_at DESC, v.subject_id DESC
LIMIT $5;
