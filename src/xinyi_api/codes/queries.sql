-- name: code_by_serial
-- What a scan needs to know about a code and its subject (and the store's enterprise).
SELECT c.serial, c.subject_id, c.key_number, c.status, c.replaced_by, c.created_at,
       s.type, s.name, s.address, s.region_code, s.industry, s.closed_at, s.closed_reason,
       s.enterprise_id, s.uscc,
       e.id AS owner_id, e.name AS owner_name, e.type AS owner_type, e.uscc AS owner_uscc,
       e.closed_at AS owner_closed_at
FROM codes c
JOIN subjects s ON s.id = c.subject_id
JOIN subjects e ON e.id = coalesce(s.enterprise_id, s.id)
WHERE c.serial = $1;

-- name: public_grade
SELECT grade, score, rule_version, explanation, computed_at
FROM grades
WHERE subject_id = $1 AND scheme = 'public';

-- name: public_records
-- Records inside their display period that were neither repaired nor withdrawn.
SELECT id, kind, severity, result, title, source_department, legal_basis, occurred_on,
       public_until, status
FROM credit_records
WHERE subject_id = $1 AND status IN ('active', 'objected')
  AND occurred_on <= $2 AND public_until >= $2
ORDER BY occurred_on DESC, id DESC
LIMIT $3;

-- name: active_code
SELECT serial, subject_id, key_number, created_at FROM codes
WHERE subject_id = $1 AND status = 'active';

-- name: replaced_serials
SELECT serial FROM codes WHERE subject_id = $1 AND status = 'replaced' ORDER BY serial;

-- name: subject_for_reissue
-- The subject, locked, with the enterprise that owns it (itself for an enterprise).
SELECT s.id, s.type, s.region_code, s.closed_at, coalesce(s.enterprise_id, s.id) AS owner_id
FROM subjects s WHERE s.id = $1 FOR UPDATE;

-- name: subject_scope
SELECT s.id, s.type, s.region_code, coalesce(s.enterprise_id, s.id) AS owner_id
FROM subjects s WHERE s.id = $1;

-- name: merchant_owns
SELECT EXISTS (SELECT 1 FROM merchant_links WHERE merchant_id = $1 AND enterprise_id = $2);

-- name: replace_active_code
UPDATE codes SET status = 'replaced', replaced_at = now(), reason = $2, reissued_by = $3
WHERE subject_id = $1 AND status = 'active'
RETURNING serial;

-- name: insert_code
INSERT INTO codes (subject_id, key_number) VALUES ($1, current_code_key_number())
RETURNING serial, subject_id, key_number, created_at;

-- name: link_replacement
UPDATE codes SET replaced_by = $2 WHERE serial = ANY($1::bigint[]);

-- name: add_scans
-- One statement per flush: $1 subject ids, $2 days, $3 counts (parallel arrays).
INSERT INTO scan_daily AS d (subject_id, day, count)
SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[])
ON CONFLICT (subject_id, day) DO UPDATE SET count = d.count + excluded.count;

-- name: scan_days
SELECT day, count FROM scan_daily
WHERE subject_id = $1 AND day BETWEEN $2 AND $3
ORDER BY day;

-- name: public_grades_of
SELECT subject_id, grade, score, rule_version, explanation, computed_at
FROM grades
WHERE subject_id = ANY($1::text[]) AND scheme = 'public';

-- name: public_records_of
-- public_records for a batch of subjects: per subject, newest first, at most $3.
SELECT subject_id, id, kind, severity, result, title, source_department, legal_basis,
       occurred_on, public_until, status
FROM (SELECT r.*, row_number() OVER (PARTITION BY r.subject_id
                                     ORDER BY r.occurred_on DESC, r.id DESC) AS rank
      FROM credit_records r
      WHERE r.subject_id = ANY($1::text[]) AND r.status IN ('active', 'objected')
        AND r.occurred_on <= $2 AND r.public_until >= $2) t
WHERE rank <= $3
ORDER BY subject_id, rank;

-- name: upcoming_records_of
-- The first day a record not shown yet (dated after $2) joins each subject's public records.
SELECT subject_id, min(occurred_on) AS next_on
FROM credit_records
WHERE subject_id = ANY($1::text[]) AND status IN ('active', 'objected') AND occurred_on > $2
GROUP BY subject_id;

-- name: departments_named
-- Name and public telephone of each department in $1 (the scan page names them, 咨询电话).
SELECT code, name, phone FROM departments WHERE code = ANY($1::text[]);
