-- name: subject_coverage
SELECT id, name, type, industry, region_code, closed_at IS NOT NULL AS closed
FROM subjects
WHERE id = $1;

-- name: grades_of_subject
SELECT subject_id, scheme, rule_version, score, grade, explanation, computed_at, review_on
FROM grades
WHERE subject_id = $1 AND scheme = ANY($2::text[]);

-- name: grades_of_subject_fresh
-- The subject's stored grades under the schemes, each with whether it is current: the scheme's
-- background refresh (scenario_states) has passed the subject, or there is nothing to refresh.
SELECT g.subject_id, g.scheme, g.rule_version, g.score, g.grade, g.explanation, g.computed_at,
       g.review_on,
       (s.scheme IS NULL OR s.refreshed = s.fingerprint OR g.subject_id <= s.cursor) AS fresh
FROM grades g
LEFT JOIN scenario_states s ON s.scheme = g.scheme
WHERE g.subject_id = $1 AND g.scheme = ANY($2::text[]);

-- name: grades_of_subjects_fresh
-- grades_of_subject_fresh for a batch of subjects.
SELECT g.subject_id, g.scheme, g.rule_version, g.score, g.grade, g.explanation, g.computed_at,
       g.review_on,
       (s.scheme IS NULL OR s.refreshed = s.fingerprint OR g.subject_id <= s.cursor) AS fresh
FROM grades g
LEFT JOIN scenario_states s ON s.scheme = g.scheme
WHERE g.subject_id = ANY($1::text[]) AND g.scheme = ANY($2::text[]);

-- name: scenario_states
SELECT scheme, fingerprint, enabled, refreshed, cursor, total, done FROM scenario_states;

-- name: record_fingerprint
-- A start with another configuration: record it and start the refresh over. Several workers
-- starting at once compute the same fingerprint; only the first changes the row.
INSERT INTO scenario_states AS s (scheme, fingerprint, enabled, refreshed, cursor)
VALUES ($1, $2, $3, CASE WHEN $3 THEN NULL ELSE $2 END, '')
ON CONFLICT (scheme) DO UPDATE
    SET fingerprint = excluded.fingerprint, enabled = excluded.enabled,
        refreshed = excluded.refreshed, cursor = '', total = NULL, done = 0,
        changed_at = now(), refreshed_at = NULL
    WHERE s.fingerprint IS DISTINCT FROM excluded.fingerprint
RETURNING scheme;

-- name: covered_ids_after
SELECT id FROM subjects
WHERE id > $1 AND type = ANY($3::text[]) AND industry = ANY($4::text[])
ORDER BY id LIMIT $2;

-- name: count_covered
SELECT count(*) FROM subjects WHERE type = ANY($1::text[]) AND industry = ANY($2::text[]);

-- name: start_refresh
UPDATE scenario_states SET total = $3 WHERE scheme = $1 AND fingerprint = $2;

-- name: advance_refresh
-- Only while the fingerprint is still the one being refreshed (a newer start resets it).
UPDATE scenario_states SET cursor = $3, done = done + $4
WHERE scheme = $1 AND fingerprint = $2
RETURNING scheme;

-- name: finish_refresh
UPDATE scenario_states SET refreshed = fingerprint, refreshed_at = now()
WHERE scheme = $1 AND fingerprint = $2;

-- name: try_refresh_lock
SELECT pg_try_advisory_lock(7202613, hashtext($1));

-- name: release_refresh_lock
SELECT pg_advisory_unlock(7202613, hashtext($1));

-- name: stored_grades_of
-- ``scenarios check --diff``: the grades stored now under a scheme, for a batch of subjects.
SELECT subject_id, grade, rule_version FROM grades
WHERE scheme = $1 AND subject_id = ANY($2::text[]);

-- name: stored_grades_not_covered
-- ``scenarios check --diff``: grades stored under a scheme for subjects the new coverage leaves.
SELECT g.grade, count(*) AS n
FROM grades g JOIN subjects s ON s.id = g.subject_id
WHERE g.scheme = $1 AND NOT (s.type = ANY($2::text[]) AND s.industry = ANY($3::text[]))
GROUP BY g.grade;
