-- name: store_for_rating
SELECT id, type, industry, region_code, created_by, closed_at IS NOT NULL AS closed,
       (SELECT e.closed_at IS NOT NULL FROM subjects e WHERE e.id = s.enterprise_id) AS owner_closed
FROM subjects s WHERE id = $1;

-- name: has_visit
SELECT has_visit_proof($1, $2, $3);

-- name: prepare_rating
-- The first statement of a submission, on its own (migrations/0301_…sql): $1 buckets,
-- $2 windows (seconds), $3 consumer, $4 store, $5 visit window (hours). Answers JSON text.
SELECT rating_prepare($1, $2, $3, $4, $5)::text;

-- name: submit_rating
-- The write (migrations/0301_…sql): $1 consumer, $2 role, $3 department, $4 store, $5 stars,
-- $6 dimensions, $7 text, $8 text hash, $9 visit window, $10 the rating's department,
-- $11 industry, $12 burst, $13 many_stores, $14 endpoint, then the grades computed ahead (or all
-- null inside a transaction): $15 fingerprint, $16 count, $17 sum, $18 schemes, $19 rule
-- versions, $20 scores, $21 grades, $22 explanations (JSON text), $23 review dates.
SELECT rating_submit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                     $18, $19, $20, $21, $22, $23)::text;

-- name: hold_reasons
-- $1 consumer, $2 store, $3 text hash (or null), $4 burst, $5 many_stores (service.SUSPICION).
SELECT rating_hold_reasons($1, $2, $3, $4, $5);

-- name: rating_for_update
SELECT * FROM ratings WHERE id = $1 FOR UPDATE;

-- name: update_rating
UPDATE ratings SET stars = $2, dimensions = $3, text = $4, text_hash = $5, status = $6,
                   hold_reasons = $7, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: reply_of
SELECT text AS reply_text, created_at AS reply_created_at, updated_at AS reply_updated_at
FROM rating_replies WHERE rating_id = $1;

-- name: summaries
-- Published ratings per subject, one query for a batch (the grading file loader, the profile),
-- from the summaries the ratings triggers maintain.
SELECT subject_id, n, total, s1, s2, s3, s4, s5
FROM rating_summaries
WHERE subject_id = ANY($1::text[]) AND n > 0;

-- name: dimension_means
-- The mean as avg() of the integers would give it (numeric division), from the maintained totals.
SELECT key, (total::numeric / n)::float8 AS mean, n
FROM rating_dimension_totals
WHERE subject_id = $1 AND n > 0;

-- name: dimension_means_of
-- dimension_means for a batch of stores.
SELECT subject_id, key, (total::numeric / n)::float8 AS mean, n
FROM rating_dimension_totals
WHERE subject_id = ANY($1::text[]) AND n > 0;

-- name: public_ratings
SELECT r.id, r.stars, r.dimensions, r.text, r.helpful_count, r.created_at, r.updated_at,
       p.text AS reply_text, p.created_at AS reply_created_at, p.updated_at AS reply_updated_at,
       count(*) OVER () AS total
FROM ratings r LEFT JOIN rating_replies p ON p.rating_id = r.id
WHERE r.subject_id = $1 AND r.status = 'published'
ORDER BY CASE WHEN $2 = 'helpful' THEN r.helpful_count END DESC NULLS LAST,
         r.created_at DESC, r.id DESC
LIMIT $3 OFFSET $4;

-- name: published_rating
SELECT r.id, r.consumer_id, r.subject_id, r.status, s.enterprise_id
FROM ratings r JOIN subjects s ON s.id = r.subject_id
WHERE r.id = $1;

-- name: add_helpful
WITH vote AS (
    INSERT INTO rating_helpful_votes (rating_id, consumer_id) VALUES ($1, $2)
    ON CONFLICT DO NOTHING RETURNING rating_id
)
UPDATE ratings SET helpful_count = helpful_count + 1
WHERE id = (SELECT rating_id FROM vote)
RETURNING helpful_count;

-- name: merchant_owns
SELECT EXISTS (SELECT 1 FROM merchant_links WHERE merchant_id = $1 AND enterprise_id = $2);

-- name: upsert_reply
INSERT INTO rating_replies AS p (rating_id, merchant_id, text) VALUES ($1, $2, $3)
ON CONFLICT (rating_id) DO UPDATE SET text = excluded.text, merchant_id = excluded.merchant_id,
                                     updated_at = now()
RETURNING text, created_at, updated_at;

-- name: insert_report
INSERT INTO rating_reports (rating_id, merchant_id, reason, subject_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (rating_id, merchant_id) DO NOTHING
RETURNING id, rating_id, created_at;

-- name: mark_reported
UPDATE ratings SET reported = true WHERE id = $1;

-- name: queue
-- $1 department, $2 region prefix, $3/$4 the cursor (created_at, id of the last item shown, or
-- NULL), $5 limit. Keyset-paged (xinyi_api.inputs.cursor).
SELECT r.id, r.subject_id, s.name AS store_name, r.consumer_id, r.stars, r.dimensions, r.text,
       r.status, r.hold_reasons, r.created_at,
       coalesce((SELECT array_agg(p.reason ORDER BY p.id) FROM rating_reports p
                 WHERE p.rating_id = r.id AND p.resolved_at IS NULL), '{}') AS reports
FROM ratings r JOIN subjects s ON s.id = r.subject_id
WHERE r.department = $1 AND (r.status = 'held' OR r.reported)
  AND s.region_code LIKE $2 || '%'
  AND ($3::timestamptz IS NULL OR (r.created_at, r.id) > ($3, $4::text))
ORDER BY r.created_at, r.id
LIMIT $5;

-- name: moderation_target
SELECT r.*, s.region_code FROM ratings r JOIN subjects s ON s.id = r.subject_id
WHERE r.id = $1 FOR UPDATE OF r;

-- name: set_status
UPDATE ratings SET status = $2, reported = false, updated_at = now() WHERE id = $1;

-- name: resolve_reports
-- $2: the decision that resolves them (shown to the reporting merchants).
UPDATE rating_reports SET resolved_at = now(), decision_id = $2
WHERE rating_id = $1 AND resolved_at IS NULL;

-- name: insert_decision
INSERT INTO rating_decisions (rating_id, consumer_id, subject_id, department, decided_by,
                              decision, malicious, reason, decided_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id, decided_at;

-- name: my_ratings
SELECT r.*, p.text AS reply_text, p.created_at AS reply_created_at,
       p.updated_at AS reply_updated_at
FROM ratings r LEFT JOIN rating_replies p ON p.rating_id = r.id
WHERE r.consumer_id = $1
ORDER BY r.created_at DESC, r.id DESC;

-- name: my_latest_rating
-- Consumer $1's latest rating of store $2, with the merchant's reply (none: no row).
SELECT r.*, p.text AS reply_text, p.created_at AS reply_created_at,
       p.updated_at AS reply_updated_at
FROM ratings r LEFT JOIN rating_replies p ON p.rating_id = r.id
WHERE r.consumer_id = $1 AND r.subject_id = $2
ORDER BY r.created_at DESC, r.id DESC
LIMIT 1;

-- name: delete_my_rating
DELETE FROM ratings WHERE id = $1 AND consumer_id = $2 RETURNING subject_id, status;

-- name: insert_complaint
INSERT INTO complaints (consumer_id, subject_id, department, category, text)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: complaint_for_update
SELECT c.*, s.region_code FROM complaints c JOIN subjects s ON s.id = c.subject_id
WHERE c.id = $1 FOR UPDATE OF c;

-- name: complaint
SELECT c.*, s.region_code FROM complaints c JOIN subjects s ON s.id = c.subject_id
WHERE c.id = $1;

-- name: decide_complaint
UPDATE complaints SET status = $2, outcome = $3, record_id = $4, decided_by = $5,
                      decided_at = now()
WHERE id = $1
RETURNING *;

-- name: department_complaints
-- $1 department, $2 region prefix, $3 status or NULL, $4/$5 the cursor (created_at, id), $6 limit.
SELECT c.* FROM complaints c JOIN subjects s ON s.id = c.subject_id
WHERE c.department = $1 AND s.region_code LIKE $2 || '%' AND ($3::text IS NULL OR c.status = $3)
  AND ($4::timestamptz IS NULL OR (c.created_at, c.id) > ($4, $5::text))
ORDER BY c.created_at, c.id
LIMIT $6;

-- name: my_complaints
SELECT * FROM complaints WHERE consumer_id = $1 ORDER BY created_at DESC, id DESC;

-- name: delete_my_complaint
DELETE FROM complaints WHERE id = $1 AND consumer_id = $2 RETURNING id;

-- name: latest_ratings_of
-- Consumer $1's latest rating of each store in $2 (ids).
SELECT DISTINCT ON (subject_id) subject_id, id
FROM ratings
WHERE consumer_id = $1 AND subject_id = ANY($2::text[])
ORDER BY subject_id, created_at DESC, id DESC;

-- name: my_helpful_votes
SELECT rating_id, created_at FROM rating_helpful_votes
WHERE consumer_id = $1 ORDER BY created_at DESC, rating_id;
