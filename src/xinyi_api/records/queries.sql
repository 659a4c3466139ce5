-- name: insert_record
INSERT INTO credit_records (id, subject_id, kind, severity, result, title, content,
                            source_department, legal_basis, occurred_on, published_on, public_until)
VALUES ('R' || lpad(nextval('record_id_seq')::text, 10, '0'),
        $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING *;

-- name: get_record
SELECT * FROM credit_records WHERE id = $1;

-- name: get_record_for_update
SELECT r.*, s.region_code
FROM credit_records r JOIN subjects s ON s.id = r.subject_id
WHERE r.id = $1
FOR UPDATE OF r;

-- name: update_record
UPDATE credit_records
SET title = $2, content = $3, legal_basis = $4, severity = $5, result = $6, public_until = $7,
    status = $8, status_reason = $9, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: public_records
-- Records inside their display period that were neither repaired nor withdrawn.
SELECT * FROM credit_records
WHERE subject_id = $1 AND status IN ('active', 'objected')
  AND occurred_on <= $2 AND public_until >= $2
ORDER BY occurred_on DESC, id DESC
LIMIT $3;

-- name: insert_revision
-- 修改留痕 (migrations/0210_record_revisions.sql): $1 record, $2 action, $3 reason, $4 actor,
-- $5 department, $6 ref (objection or repair id), $7 fields before, $8 fields after.
INSERT INTO credit_record_history (record_id, action, reason, actor, department, ref, before,
                                     after)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: revisions_of
-- The history of records $1, oldest change first.
SELECT id, record_id, action, reason, actor, department, ref, before, after, changed_at
FROM credit_record_history
WHERE record_id = ANY($1::text[])
ORDER BY record_id, id;
