-- Storing grades without touching unchanged ones (issue 15: a full regrade of a million
-- subjects in minutes).
--
-- A regrade mostly finds the grades it computes already stored, and grades_store
-- (0003_grading_records.sql) still paid for each one: the explanation parsed from text to jsonb
-- (~900 bytes, the largest share), compared, and the row locked by ON CONFLICT … DO UPDATE …
-- WHERE (a lock is a write: tuple header, WAL, a dirty page) even when nothing changed.
--
-- grades.explanation_digest holds the MD5 of the explanation as the grader encoded it (msgspec:
-- deterministic for the same explanation). grades_store_digested compares rule version, score,
-- grade, review date and digest, and parses and writes only what changed. A row written by the
-- jsonb-taking grades_store (the SQL rating path) has no digest: it is compared by its jsonb, as
-- before, until it next changes.
ALTER TABLE grades ADD COLUMN explanation_digest text;

CREATE FUNCTION grades_store_digested(p_subjects text[], p_schemes text[], p_versions text[],
                                      p_scores int[], p_grades text[], p_explanations text[],
                                      p_digests text[], p_review_on date[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH input AS (
        SELECT *
        FROM unnest(p_subjects, p_schemes, p_versions, p_scores, p_grades, p_explanations,
                    p_digests, p_review_on)
             AS t (subject_id, scheme, rule_version, score, grade, explanation, digest,
                   review_on)
    ), todo AS (
        SELECT i.*
        FROM input i
        LEFT JOIN grades g ON g.subject_id = i.subject_id AND g.scheme = i.scheme
        WHERE g.subject_id IS NULL
           OR (g.rule_version, g.score, g.grade, g.review_on)
              IS DISTINCT FROM (i.rule_version, i.score, i.grade, i.review_on)
           OR (g.explanation_digest IS NOT NULL AND g.explanation_digest <> i.digest)
           OR (g.explanation_digest IS NULL AND g.explanation <> i.explanation::jsonb)
    ), changed AS (
        INSERT INTO grades AS g (subject_id, scheme, rule_version, score, grade, explanation,
                                 explanation_digest, review_on)
        SELECT subject_id, scheme, rule_version, score, grade, explanation::jsonb, digest,
               review_on
        FROM todo
        ON CONFLICT (subject_id, scheme) DO UPDATE
            SET rule_version = excluded.rule_version, score = excluded.score,
                grade = excluded.grade, explanation = excluded.explanation,
                explanation_digest = excluded.explanation_digest,
                review_on = excluded.review_on, computed_at = now()
        RETURNING g.subject_id, g.scheme, g.rule_version, g.score, g.grade, g.explanation,
                  g.computed_at
    )
    INSERT INTO grade_history (subject_id, scheme, rule_version, score, grade, explanation,
                               computed_at)
    SELECT subject_id, scheme, rule_version, score, grade, explanation, computed_at FROM changed;
END $$;

-- The jsonb-taking form (rating_submit calls it): unchanged rows untouched as well, and a row it
-- changes loses its digest (it no longer describes the explanation).
CREATE OR REPLACE FUNCTION grades_store(p_subjects text[], p_schemes text[], p_versions text[],
                                        p_scores int[], p_grades text[], p_explanations jsonb[],
                                        p_review_on date[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH input AS (
        SELECT *
        FROM unnest(p_subjects, p_schemes, p_versions, p_scores, p_grades, p_explanations,
                    p_review_on)
             AS t (subject_id, scheme, rule_version, score, grade, explanation, review_on)
    ), todo AS (
        SELECT i.*
        FROM input i
        LEFT JOIN grades g ON g.subject_id = i.subject_id AND g.scheme = i.scheme
        WHERE g.subject_id IS NULL
           OR (g.rule_version, g.score, g.grade, g.explanation, g.review_on)
              IS DISTINCT FROM
              (i.rule_version, i.score, i.grade, i.explanation, i.review_on)
    ), changed AS (
        INSERT INTO grades AS g (subject_id, scheme, rule_version, score, grade, explanation,
                                 review_on)
        SELECT subject_id, scheme, rule_version, score, grade, explanation, review_on FROM todo
        ON CONFLICT (subject_id, scheme) DO UPDATE
            SET rule_version = excluded.rule_version, score = excluded.score,
                grade = excluded.grade, explanation = excluded.explanation,
                explanation_digest = NULL, review_on = excluded.review_on, computed_at = now()
        RETURNING g.subject_id, g.scheme, g.rule_version, g.score, g.grade, g.explanation,
                  g.computed_at
    )
    INSERT INTO grade_history (subject_id, scheme, rule_version, score, grade, explanation,
                               computed_at)
    SELECT subject_id, scheme, rule_version, score, grade, explanation, computed_at FROM changed;
END $$;
