-- name: person_exists
SELECT EXISTS (SELECT 1 FROM app_accounts WHERE id = $1 AND role = 'consumer');

-- name: person_records_of
SELECT id, kind, result, title, occurred_on, counts_until, source, source_department,
       created_at, updated_at
FROM person_records
WHERE person_id = $1
ORDER BY occurred_on DESC, id DESC;

-- name: malicious_ratings_of
-- 恶意评价: moderation decisions that removed one of the person's ratings as malicious. They stay
-- even when the person deletes what is left of the rating.
SELECT id, subject_id, department, decided_at
FROM rating_decisions
WHERE consumer_id = $1 AND malicious
ORDER BY decided_at DESC, id DESC;

-- name: upsert_person_record
INSERT INTO person_records AS r
    (person_id, kind, result, title, occurred_on, counts_until, source, source_ref,
     source_department, recorded_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (person_id, source, source_ref) DO UPDATE
    SET result = excluded.result, title = excluded.title, occurred_on = excluded.occurred_on,
        counts_until = excluded.counts_until, recorded_by = excluded.recorded_by,
        updated_at = now()
RETURNING id, (xmax = 0) AS created;

-- name: insert_personal_code
INSERT INTO personal_codes (nonce, person_id, issued_at, expires_at) VALUES ($1, $2, $3, $4);

-- name: forget_expired_codes
-- A person's codes that expired more than a day ago (the audit log keeps what was done with them).
DELETE FROM personal_codes WHERE person_id = $1 AND expires_at < $2::timestamptz - interval '1 day';

-- name: spend_personal_code
UPDATE personal_codes SET used_at = $2, used_by = $3, used_for = $4
WHERE nonce = $1 AND used_at IS NULL AND expires_at > $2
RETURNING person_id;

-- name: personal_code_state
SELECT used_at, expires_at FROM personal_codes WHERE nonce = $1;

-- name: codes_of_person
-- The 动态个人信用码 still kept for person $1 (the code itself never is), newest first.
SELECT issued_at, expires_at, used_at, used_for FROM personal_codes
WHERE person_id = $1 ORDER BY issued_at DESC;
