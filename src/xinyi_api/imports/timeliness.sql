-- name: decision_days
SELECT DISTINCT occurred_on FROM credit_records
WHERE occurred_on BETWEEN $1 AND $2 AND kind = ANY($3::text[])
  AND ($4::text IS NULL OR source_department = $4);

-- name: timeliness
-- $5/$6: each decision day and its deadline (the 7th working day after it).
WITH due AS (SELECT * FROM unnest($5::date[], $6::date[]) AS d (day, due_on))
SELECT r.source_department AS department, to_char(r.occurred_on, 'YYYY-MM') AS month, r.kind,
       count(*) AS records, count(*) FILTER (WHERE r.published_on <= d.due_on) AS on_time
FROM credit_records r JOIN due d ON d.day = r.occurred_on
WHERE r.occurred_on BETWEEN $1 AND $2 AND r.kind = ANY($3::text[])
  AND ($4::text IS NULL OR r.source_department = $4)
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;

-- name: late_records
WITH due AS (SELECT * FROM unnest($5::date[], $6::date[]) AS d (day, due_on))
SELECT r.id, r.source_department AS department, r.kind, r.source_key, r.title, r.subject_id,
       r.occurred_on, r.published_on, d.due_on
FROM credit_records r JOIN due d ON d.day = r.occurred_on
WHERE r.occurred_on BETWEEN $1 AND $2 AND r.kind = ANY($3::text[])
  AND ($4::text IS NULL OR r.source_department = $4)
  AND r.published_on > d.due_on AND r.id > $7
ORDER BY r.id
LIMIT $8;
