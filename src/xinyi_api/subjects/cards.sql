-- name: subject_cards
-- The brief of each subject in $1 (stores and enterprises alike) that a list item shows so the
-- client needs no second call: names, whether closed, public grade, active code.
SELECT s.id, s.type, s.name, s.enterprise_id, e.name AS enterprise_name, s.region_code,
       s.industry, (s.closed_at IS NOT NULL OR e.closed_at IS NOT NULL) AS closed,
       coalesce(g.grade, 'unrated') AS grade, g.score,
       c.serial AS code_serial, c.key_number AS code_key
FROM subjects s
LEFT JOIN subjects e ON e.id = s.enterprise_id
LEFT JOIN grades g ON g.subject_id = s.id AND g.scheme = 'public'
LEFT JOIN codes c ON c.subject_id = s.id AND c.status = 'active'
WHERE s.id = ANY($1::text[]);
