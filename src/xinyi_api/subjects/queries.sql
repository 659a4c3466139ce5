-- name: insert_enterprise
INSERT INTO subjects (id, type, uscc, name, region_code, industry, address, latitude, longitude,
                      created_by)
VALUES ('E' || lpad(nextval('enterprise_id_seq')::text, 8, '0'), $1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id;

-- name: insert_store
INSERT INTO subjects (id, type, enterprise_id, name, region_code, industry, address, latitude,
                      longitude, created_by)
VALUES ('S' || lpad(nextval('store_id_seq')::text, 8, '0'), 'store', $1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id;

-- name: find_by_uscc
SELECT id FROM subjects WHERE uscc = $1;

-- name: get_subject_for_update
SELECT id, type, enterprise_id, name, region_code, industry, address, latitude, longitude,
       closed_at, closed_reason, created_by
FROM subjects WHERE id = $1 FOR UPDATE;

-- name: get_subject_kind
SELECT id, type, region_code, closed_at IS NOT NULL AS closed FROM subjects WHERE id = $1;

-- name: update_subject
-- $2..$9 are the new values; the caller passes the old value for fields it does not change.
UPDATE subjects
SET name = $2, region_code = $3, industry = $4, address = $5, latitude = $6, longitude = $7,
    closed_at = $8, closed_reason = $9, updated_at = now()
WHERE id = $1;

-- name: close_stores_of
UPDATE subjects SET closed_at = $2, closed_reason = $3, updated_at = now()
WHERE enterprise_id = $1 AND closed_at IS NULL
RETURNING id;

-- name: get_enterprise
SELECT e.id, e.uscc, e.name, e.type AS kind, e.region_code, e.industry, e.address, e.latitude,
       e.longitude, e.closed_at, e.closed_reason, e.created_at, e.updated_at,
       (SELECT count(*) FROM subjects s WHERE s.enterprise_id = e.id) AS store_count,
       g.grade, g.score, g.rule_version, g.computed_at AS graded_at,
       c.serial AS code_serial, c.key_number AS code_key
FROM subjects e
LEFT JOIN grades g ON g.subject_id = e.id AND g.scheme = 'public'
LEFT JOIN codes c ON c.subject_id = e.id AND c.status = 'active'
WHERE e.id = $1 AND e.type IN ('enterprise', 'individual');

-- name: get_store
SELECT s.id, s.enterprise_id, e.name AS enterprise_name, s.name, s.region_code, s.industry,
       s.address, s.latitude, s.longitude, s.closed_at, s.closed_reason, s.created_at,
       s.updated_at, g.grade, g.score, g.rule_version, g.computed_at AS graded_at,
       c.serial AS code_serial, c.key_number AS code_key
FROM subjects s
JOIN subjects e ON e.id = s.enterprise_id
LEFT JOIN grades g ON g.subject_id = s.id AND g.scheme = 'public'
LEFT JOIN codes c ON c.subject_id = s.id AND c.status = 'active'
WHERE s.id = $1 AND s.type = 'store';

-- name: search_stores
-- $1 name pattern (already escaped, with %), $2 region prefix pattern, $3 industry,
-- $4 owner kind, $5 grade, $6 cursor (last id seen), $7 limit, $8 include closed stores.
SELECT s.id, s.name, s.enterprise_id, e.name AS enterprise_name, s.region_code, s.industry,
       s.address, s.closed_at IS NOT NULL AS closed,
       coalesce(g.grade, 'unrated') AS grade, g.score,
       c.serial AS code_serial, c.key_number AS code_key
FROM subjects s
JOIN subjects e ON e.id = s.enterprise_id
LEFT JOIN grades g ON g.subject_id = s.id AND g.scheme = 'public'
LEFT JOIN codes c ON c.subject_id = s.id AND c.status = 'active'
WHERE s.type = 'store'
  AND ($1::text IS NULL OR s.name ILIKE $1 OR e.name ILIKE $1)
  AND ($2::text IS NULL OR s.region_code LIKE $2)
  AND ($3::text IS NULL OR s.industry = $3)
  AND ($4::text IS NULL OR e.type = $4)
  AND ($5::text IS NULL OR coalesce(g.grade, 'unrated') = $5)
  AND ($8 OR s.closed_at IS NULL)
  AND s.id > $6
ORDER BY s.id
LIMIT $7;
