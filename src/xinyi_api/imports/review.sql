-- name: upsert_review
-- One open item per kind and key; a new sighting merges codes, names, subjects and evidence
-- (the first $9 sightings are kept).
INSERT INTO code_reviews AS c (kind, key, department, subject_ids, codes, names, evidence,
                               found_by)
VALUES ($1, $2, $3, $4::text[], $5::text[], $6::text[], $7::jsonb, $8)
ON CONFLICT (kind, key) WHERE status = 'open' DO UPDATE
SET subject_ids = ARRAY(SELECT DISTINCT x FROM unnest(c.subject_ids || excluded.subject_ids) x
                        ORDER BY x),
    codes = ARRAY(SELECT DISTINCT x FROM unnest(c.codes || excluded.codes) x ORDER BY x),
    names = ARRAY(SELECT DISTINCT x FROM unnest(c.names || excluded.names) x ORDER BY x),
    evidence = CASE WHEN jsonb_array_length(c.evidence) >= $9 THEN c.evidence
                    ELSE c.evidence || excluded.evidence END,
    department = coalesce(c.department, excluded.department);

-- name: scan_subjects
SELECT id, uscc, name, type, created_by FROM subjects
WHERE uscc IS NOT NULL AND merged_into IS NULL
ORDER BY id;

-- name: scan_names
SELECT name, array_agg(uscc ORDER BY id) AS codes, array_agg(id ORDER BY id) AS ids,
       min(created_by) AS created_by
FROM subjects
WHERE type <> 'store' AND merged_into IS NULL
GROUP BY name HAVING count(*) > 1;

-- name: get_review
SELECT * FROM code_reviews WHERE id = $1;

-- name: get_review_for_update
SELECT * FROM code_reviews WHERE id = $1 FOR UPDATE;

-- name: list_reviews
SELECT * FROM code_reviews
WHERE ($1::text IS NULL OR department = $1) AND ($2::text IS NULL OR status = $2)
  AND ($3::text IS NULL OR kind = $3) AND id > $4
ORDER BY id LIMIT $5;

-- name: resolve_review
UPDATE code_reviews
SET status = $2, resolution = $3, reason = $4, resolved_by = $5, resolved_at = now()
WHERE id = $1
RETURNING *;

-- name: subject_for_review
SELECT id, uscc, name, type, region_code, created_by, merged_into FROM subjects
WHERE id = $1 AND type IN ('enterprise', 'individual')
FOR UPDATE;

-- name: correct_subject
UPDATE subjects SET uscc = $2, name = $3, updated_at = now() WHERE id = $1;

-- name: open_disputes
SELECT EXISTS (SELECT 1 FROM objections WHERE subject_id = $1 AND status = 'open')
    OR EXISTS (SELECT 1 FROM repairs WHERE subject_id = $1 AND status = 'pending');

-- name: repoint_records
WITH moved AS (
    UPDATE credit_records SET subject_id = $2, updated_at = now()
    WHERE subject_id = $1
    RETURNING id
)
SELECT count(*) FROM moved;

-- name: move_stores
WITH moved AS (
    UPDATE subjects SET enterprise_id = $2, updated_at = now()
    WHERE enterprise_id = $1 AND type = 'store'
    RETURNING id
)
SELECT count(*) FROM moved;

-- name: mark_merged
-- The merged subject stays on file, closed, pointing at the one that stays; so do those that
-- had been merged into it.
WITH earlier AS (
    UPDATE subjects SET merged_into = $2, updated_at = now() WHERE merged_into = $1
)
UPDATE subjects
SET merged_into = $2, closed_at = coalesce(closed_at, now()),
    closed_reason = coalesce(closed_reason, $3), updated_at = now()
WHERE id = $1;
