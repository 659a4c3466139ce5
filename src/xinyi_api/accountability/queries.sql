-- name: merchant_owns
-- Whether merchant $1 has claimed the enterprise of subject $2 (the enterprise itself or a store).
SELECT EXISTS (
    SELECT 1 FROM subjects s
    JOIN merchant_links m ON m.enterprise_id = coalesce(s.enterprise_id, s.id)
    WHERE s.id = $2 AND m.merchant_id = $1
);

-- name: subject_brief
SELECT id, type, region_code, enterprise_id FROM subjects WHERE id = $1;

-- name: department_exists
SELECT EXISTS (SELECT 1 FROM departments WHERE code = $1);

-- name: all_records_of
-- The full file: every record, including repaired, withdrawn and expired ones.
SELECT * FROM credit_records WHERE subject_id = $1 ORDER BY occurred_on DESC, id DESC;

-- name: record_with_subject_for_update
SELECT r.*, s.region_code
FROM credit_records r JOIN subjects s ON s.id = r.subject_id
WHERE r.id = $1
FOR UPDATE OF r;

-- name: set_record_status
UPDATE credit_records SET status = $2, status_reason = $3, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: correct_record
UPDATE credit_records
SET title = $2, content = $3, legal_basis = $4, severity = $5, result = $6, public_until = $7,
    status = 'active', status_reason = $8, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: insert_objection
INSERT INTO objections (id, record_id, subject_id, merchant_id, reason, attachments, filed_on,
                        due_on)
VALUES ('O' || lpad(nextval('objection_id_seq')::text, 10, '0'), $1, $2, $3, $4, $5, $6, $7)
RETURNING id;

-- name: objection_for_update
SELECT o.*, s.region_code
FROM objections o JOIN subjects s ON s.id = o.subject_id
WHERE o.id = $1 FOR UPDATE OF o;

-- name: decide_objection
UPDATE objections SET status = $2, decided_at = now(), decided_by = $3, decision_reason = $4
WHERE id = $1;

-- name: get_objection
SELECT o.*, r.source_department FROM objections o
JOIN credit_records r ON r.id = o.record_id WHERE o.id = $1;

-- name: objections_of_subject
SELECT * FROM objections WHERE subject_id = $1 ORDER BY filed_at DESC, id DESC;

-- name: objection_queue
-- A department's objections: open ones first, the overdue (due_on < today) at the very top,
-- then by deadline. $1 department (NULL: every department), $2 merchant (NULL: any), $3 today,
-- $4 open only, $5 limit, $6–$9 the cursor (k_overdue, k_open, due_on, id of the last item
-- shown, or NULL): keyset-paged on (k_overdue, k_open, due_on, id), all ascending.
SELECT * FROM (
    SELECT o.*, CASE WHEN o.status = 'open' AND o.due_on < $3 THEN 0 ELSE 1 END AS k_overdue,
           CASE WHEN o.status = 'open' THEN 0 ELSE 1 END AS k_open
    FROM objections o
    JOIN credit_records r ON r.id = o.record_id
    WHERE ($1::text IS NULL OR r.source_department = $1)
      AND ($2::text IS NULL OR o.merchant_id = $2)
      AND (NOT $4 OR o.status = 'open')
) o
WHERE $6::int IS NULL OR (o.k_overdue, o.k_open, o.due_on, o.id) > ($6, $7::int, $8::date, $9::text)
ORDER BY o.k_overdue, o.k_open, o.due_on, o.id
LIMIT $5;

-- name: insert_commitment
INSERT INTO commitments (id, subject_id, type, department, title, content, signed_by, signed_on,
                         valid_until)
VALUES ('C' || lpad(nextval('commitment_id_seq')::text, 10, '0'), $1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: commitment_for_update
SELECT c.*, s.region_code FROM commitments c JOIN subjects s ON s.id = c.subject_id
WHERE c.id = $1 FOR UPDATE OF c;

-- name: assess_commitment
UPDATE commitments
SET status = $2, assessed_at = now(), assessed_by = $3, assessment_reason = $4, record_id = $5
WHERE id = $1
RETURNING *;

-- name: commitments_of_subject
SELECT * FROM commitments WHERE subject_id = $1 ORDER BY signed_on DESC, id DESC LIMIT $2;

-- name: insert_repair
INSERT INTO repairs (id, record_id, subject_id, merchant_id, statement, evidence, commitment_id,
                     applied_on, due_on)
VALUES ('P' || lpad(nextval('repair_id_seq')::text, 10, '0'), $1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id;

-- name: repair_for_update
SELECT p.*, s.region_code FROM repairs p JOIN subjects s ON s.id = p.subject_id
WHERE p.id = $1 FOR UPDATE OF p;

-- name: decide_repair
UPDATE repairs SET status = $2, decided_at = now(), decided_by = $3, decision_reason = $4
WHERE id = $1;

-- name: get_repair
SELECT p.*, r.source_department FROM repairs p
JOIN credit_records r ON r.id = p.record_id WHERE p.id = $1;

-- name: repairs_of_subject
SELECT * FROM repairs WHERE subject_id = $1 ORDER BY applied_at DESC, id DESC;

-- name: repair_queue
-- Same order, parameters and paging as objection_queue.
SELECT * FROM (
    SELECT p.*, CASE WHEN p.status = 'pending' AND p.due_on < $3 THEN 0 ELSE 1 END AS k_overdue,
           CASE WHEN p.status = 'pending' THEN 0 ELSE 1 END AS k_open
    FROM repairs p
    JOIN credit_records r ON r.id = p.record_id
    WHERE ($1::text IS NULL OR r.source_department = $1)
      AND ($2::text IS NULL OR p.merchant_id = $2)
      AND (NOT $4 OR p.status = 'pending')
) p
WHERE $6::int IS NULL OR (p.k_overdue, p.k_open, p.due_on, p.id) > ($6, $7::int, $8::date, $9::text)
ORDER BY p.k_overdue, p.k_open, p.due_on, p.id
LIMIT $5;

-- name: commitment_queue
-- Commitments addressed to department $1 of subjects in region prefix $2, by $3 status
-- ('awaiting_assessment': in force; 'assessed': kept or broken; 'all'): those whose validity
-- ends first at the top, open-ended ones (no valid_until) last, then by signing day.
-- Keyset-paged on (k_open_ended, k_until, signed_on, id), all ascending: $4–$7 the cursor (of
-- the last item shown, or NULL), $8 limit. (No far-future sentinel date: asyncpg reads
-- date.max as PostgreSQL's infinity.)
SELECT * FROM (
    SELECT c.*, s.name AS subject_name, s.region_code,
           CASE WHEN c.valid_until IS NULL THEN 1 ELSE 0 END AS k_open_ended,
           coalesce(c.valid_until, c.signed_on) AS k_until
    FROM commitments c JOIN subjects s ON s.id = c.subject_id
    WHERE c.department = $1 AND s.region_code LIKE $2 || '%'
      AND ($3 = 'all' OR ($3 = 'awaiting_assessment') = (c.status = 'in_force'))
) c
WHERE $4::int IS NULL
   OR (c.k_open_ended, c.k_until, c.signed_on, c.id) > ($4, $5::date, $6::date, $7::text)
ORDER BY c.k_open_ended, c.k_until, c.signed_on, c.id
LIMIT $8;

-- name: records_by_ids
SELECT * FROM credit_records WHERE id = ANY($1::text[]);

-- name: disclosures
-- 失信曝光台: severe adverse records inside their display period, not repaired or withdrawn.
-- $1 today, $2 name/title pattern, $3 region prefix pattern, $4 offset, $5 limit,
-- $6 the raw search text (matches a USCC exactly).
SELECT r.id AS record_id, s.id AS subject_id, s.type AS subject_type, s.name AS subject_name,
       e.id AS enterprise_id, e.name AS enterprise_name, e.uscc, s.region_code, r.kind, r.title,
       r.content, r.legal_basis, r.source_department, r.occurred_on, r.public_until, r.status,
       count(*) OVER () AS total
FROM credit_records r
JOIN subjects s ON s.id = r.subject_id
JOIN subjects e ON e.id = coalesce(s.enterprise_id, s.id)
WHERE r.severity = 'severe'
  AND (r.kind IN ('penalty', 'judicial', 'complaint')
       OR r.result IN ('fail', 'rectify', 'broken', 'breached'))
  AND r.status IN ('active', 'objected')
  AND r.occurred_on <= $1 AND r.public_until >= $1
  AND ($2::text IS NULL OR s.name ILIKE $2 OR e.name ILIKE $2 OR r.title ILIKE $2
       OR e.uscc = upper($6::text))
  AND ($3::text IS NULL OR s.region_code LIKE $3)
ORDER BY r.occurred_on DESC, r.id DESC
OFFSET $4 LIMIT $5;

-- name: insert_district
INSERT INTO districts (id, name, kind, region_code, description, created_by)
VALUES ('D' || lpad(nextval('district_id_seq')::text, 10, '0'), $1, $2, $3, $4, $5)
RETURNING id;

-- name: district_for_update
SELECT * FROM districts WHERE id = $1 FOR UPDATE;

-- name: stores_for_district
SELECT id, type, region_code FROM subjects WHERE id = ANY($1::text[]);

-- name: add_district_stores
INSERT INTO district_stores (district_id, store_id)
SELECT $1, unnest($2::text[])
ON CONFLICT DO NOTHING;

-- name: remove_district_store
DELETE FROM district_stores WHERE district_id = $1 AND store_id = $2 RETURNING store_id;

-- name: list_districts
-- $1 region prefix pattern, $2 offset, $3 limit.
SELECT d.*,
       (SELECT count(*) FROM district_stores ds WHERE ds.district_id = d.id) AS store_count
FROM districts d
WHERE ($1::text IS NULL OR d.region_code LIKE $1)
ORDER BY d.id
OFFSET $2 LIMIT $3;

-- name: get_district
SELECT d.*,
       (SELECT count(*) FROM district_stores ds WHERE ds.district_id = d.id) AS store_count
FROM districts d WHERE d.id = $1;

-- name: grade_distribution
-- $1 district ids; open stores only.
SELECT ds.district_id, coalesce(g.grade, 'unrated') AS grade, count(*) AS n
FROM district_stores ds
JOIN subjects s ON s.id = ds.store_id
LEFT JOIN grades g ON g.subject_id = s.id AND g.scheme = 'public'
WHERE ds.district_id = ANY($1::text[]) AND s.closed_at IS NULL
GROUP BY ds.district_id, coalesce(g.grade, 'unrated');

-- name: district_stores
SELECT s.id, s.name, e.name AS enterprise_name, s.address, s.closed_at IS NOT NULL AS closed,
       coalesce(g.grade, 'unrated') AS grade, g.score
FROM district_stores ds
JOIN subjects s ON s.id = ds.store_id
JOIN subjects e ON e.id = s.enterprise_id
LEFT JOIN grades g ON g.subject_id = s.id AND g.scheme = 'public'
WHERE ds.district_id = $1
ORDER BY s.closed_at IS NOT NULL, coalesce(g.score, -1) DESC, s.id;

-- name: has_pending_repair
SELECT EXISTS (SELECT 1 FROM repairs WHERE record_id = $1 AND status = 'pending');

-- name: list_departments
-- Every department, by code; with $1 (a 6-digit region) only those covering it: the region
-- itself, its city (xxxx00), its province (xx0000), or departments with no region.
SELECT code, name, region_code, phone
FROM departments
WHERE $1::text IS NULL OR region_code IS NULL
   OR region_code IN ($1, left($1, 4) || '00', left($1, 2) || '0000')
ORDER BY code;
