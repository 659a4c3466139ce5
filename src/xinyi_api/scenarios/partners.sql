-- name: region_of
SELECT region_code FROM subjects WHERE id = $1;

-- name: upsert_participant
INSERT INTO scenario_participants AS p (scenario, subject_id, measures, enrolled_by)
VALUES ($1, $2, $3, $4)
ON CONFLICT (scenario, subject_id) DO UPDATE
    SET measures = excluded.measures, enrolled_by = excluded.enrolled_by, enrolled_at = now()
RETURNING scenario, subject_id, measures, enrolled_by, enrolled_at;

-- name: delete_participant
DELETE FROM scenario_participants WHERE scenario = $1 AND subject_id = $2 RETURNING subject_id;

-- name: participants_of_scenario
SELECT p.scenario, p.subject_id, s.name, p.measures, p.enrolled_by, p.enrolled_at
FROM scenario_participants p JOIN subjects s ON s.id = p.subject_id
WHERE p.scenario = $1 AND s.closed_at IS NULL
ORDER BY p.subject_id
LIMIT $2 OFFSET $3;

-- name: participant
SELECT measures FROM scenario_participants WHERE scenario = $1 AND subject_id = $2;

-- name: offers_of_subject
SELECT scenario, measures FROM scenario_participants WHERE subject_id = $1 ORDER BY scenario;

-- name: offers_of_subjects
SELECT subject_id, scenario, measures FROM scenario_participants
WHERE subject_id = ANY($1::text[]) ORDER BY subject_id, scenario;

-- name: insert_redemption
INSERT INTO measure_redemptions (scenario, measure, subject_id, person_id, redeemed_by)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, redeemed_at;

-- name: redemptions_of_person
-- A person's redeemed offers in scenario $2 (NULL: in every scenario not in $3), for the
-- person's export.
SELECT m.id, m.scenario, m.measure, m.subject_id, s.name AS business_name, m.redeemed_at
FROM measure_redemptions m JOIN subjects s ON s.id = m.subject_id
WHERE m.person_id = $1
  AND (m.scenario = $2 OR ($2::text IS NULL AND m.scenario <> ALL($3::text[])))
ORDER BY m.redeemed_at DESC, m.id DESC;
