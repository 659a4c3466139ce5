-- name: terms
SELECT due_days, updated_by, updated_at FROM pay_later_terms;

-- name: set_terms
UPDATE pay_later_terms SET due_days = $1, updated_by = $2, updated_at = now()
RETURNING due_days, updated_by, updated_at;

-- name: pay_later_grade
SELECT grade, rule_version FROM grades WHERE subject_id = $1 AND scheme = 'pay_later';

-- name: ensure_account
INSERT INTO pay_later_accounts (person_id) VALUES ($1) ON CONFLICT DO NOTHING;

-- name: lock_account
SELECT person_id FROM pay_later_accounts WHERE person_id = $1 FOR UPDATE;

-- name: held_fen
-- What the patient's line holds now: pre-authorised amounts until charged, then the charge.
SELECT coalesce(sum(CASE status WHEN 'authorised' THEN authorised_fen ELSE billed_fen END), 0)::bigint
FROM pay_later_bills
WHERE person_id = $1 AND status IN ('authorised', 'billed', 'overdue');

-- name: insert_bill
INSERT INTO pay_later_bills (person_id, hospital_id, reference, authorised_by, authorised_fen)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (hospital_id, reference) DO NOTHING
RETURNING *;

-- name: bill_for_update
SELECT * FROM pay_later_bills WHERE id = $1 FOR UPDATE;

-- name: charge_bill
UPDATE pay_later_bills
SET status = 'billed', billed_fen = $2, billed_on = $3, due_on = $4, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: settle_bill
UPDATE pay_later_bills SET status = 'settled', settled_on = $2, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: cancel_bill
UPDATE pay_later_bills SET status = 'cancelled', updated_at = now() WHERE id = $1 RETURNING *;

-- name: mark_overdue
-- Charged bills whose due day has passed ($2: only these patients; NULL: everyone).
UPDATE pay_later_bills b
SET status = 'overdue', updated_at = now()
FROM subjects s
WHERE s.id = b.hospital_id AND b.status = 'billed' AND b.due_on < $1
  AND ($2::text[] IS NULL OR b.person_id = ANY($2::text[]))
RETURNING b.id, b.person_id, b.billed_fen, b.due_on, s.name AS hospital_name;

-- name: bills_of_person
SELECT b.*, s.name AS hospital_name
FROM pay_later_bills b JOIN subjects s ON s.id = b.hospital_id
WHERE b.person_id = $1
ORDER BY b.authorised_at DESC
LIMIT 100;

-- name: all_bills_of_person
-- Every bill of the patient, for the person's export (个人信息导出).
SELECT b.*, s.name AS hospital_name
FROM pay_later_bills b JOIN subjects s ON s.id = b.hospital_id
WHERE b.person_id = $1
ORDER BY b.authorised_at DESC, b.id DESC;

-- name: account_of_person
SELECT person_id, created_at FROM pay_later_accounts WHERE person_id = $1;
