-- name: merchant_complaints
-- Complaints about the stores (and enterprises) of merchant $1's claimed enterprises, newest
-- first: $2 status or NULL, $3/$4 the cursor (created_at, id of the last item shown, or NULL),
-- $5 limit. Never the complainant.
SELECT c.id, c.subject_id, c.department, c.category, c.text, c.status, c.outcome, c.record_id,
       c.created_at, c.decided_at
FROM complaints c
JOIN subjects s ON s.id = c.subject_id
JOIN merchant_links l ON l.enterprise_id = coalesce(s.enterprise_id, s.id)
WHERE l.merchant_id = $1 AND ($2::text IS NULL OR c.status = $2)
  AND ($3::timestamptz IS NULL OR (c.created_at, c.id) < ($3, $4::text))
ORDER BY c.created_at DESC, c.id DESC
LIMIT $5;

-- name: merchant_reports
-- The abuse reports merchant $1 filed, newest first, with the decision that resolved each:
-- $2/$3 the cursor (created_at, id of the last item shown, or NULL), $4 limit.
SELECT p.id, p.rating_id, p.subject_id, p.reason, p.created_at, p.resolved_at,
       d.decision, d.malicious, d.reason AS decision_reason, d.decided_at, d.department,
       r.status AS rating_status, r.stars AS rating_stars, r.text AS rating_text
FROM rating_reports p
LEFT JOIN rating_decisions d ON d.id = p.decision_id
LEFT JOIN ratings r ON r.id = p.rating_id
WHERE p.merchant_id = $1
  AND ($2::timestamptz IS NULL OR (p.created_at, p.id) < ($2, $3::bigint))
ORDER BY p.created_at DESC, p.id DESC
LIMIT $4;
