-- name: subject_coverage
SELECT id, name, type, industry, region_code, closed_at IS NOT NULL AS closed
FROM subjects
WHERE id = $1;

-- name: grades_of_subject
SELECT subject_id, scheme, rule_version, score, grade, explanation, computed_at, review_on
FROM grades
WHERE subject_id = $1 AND scheme = ANY($2::text[]);
