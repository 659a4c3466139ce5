-- name: agreements_of
SELECT subject_id, agreement_no, status, signed_on, status_since
FROM medical_insurance_agreements
WHERE subject_id = ANY($1::text[]);

-- name: exposures_of
-- Reports from the last 12 months before $2 (the grading day).
SELECT id, subject_id, outlet, title, reported_on, severity, verified
FROM medical_insurance_media_exposures
WHERE subject_id = ANY($1::text[]) AND reported_on <= $2 AND reported_on > $2 - interval '12 months'
ORDER BY subject_id, reported_on DESC, id;

-- name: subject_for_scenario
SELECT id, type, industry, region_code FROM subjects WHERE id = $1;

-- name: upsert_agreement
INSERT INTO medical_insurance_agreements AS a
    (subject_id, agreement_no, status, signed_on, status_since, note, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (subject_id) DO UPDATE
    SET agreement_no = excluded.agreement_no, status = excluded.status,
        signed_on = excluded.signed_on, status_since = excluded.status_since,
        note = excluded.note, updated_by = excluded.updated_by, updated_at = now()
RETURNING subject_id, agreement_no, status, signed_on, status_since, note, updated_by, updated_at;

-- name: insert_exposure
INSERT INTO medical_insurance_media_exposures
    (subject_id, outlet, title, reported_on, severity, verified, recorded_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, subject_id, outlet, title, reported_on, severity, verified, recorded_by, created_at;
