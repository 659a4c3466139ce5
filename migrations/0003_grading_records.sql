-- The credit records grading reads, as one definition: the batch file loader
-- (grading/queries.sql load_records) and SQL write paths that hand a subject's file back to the
-- grader in the statement that changes it (ratings: rating_submit) both select through it, so
-- they cannot drift apart. Repaired and withdrawn records never count, so they are not loaded;
-- the order (per subject, newest first) is the one indicators rely on ("the first licence",
-- "three recent passes").
CREATE FUNCTION grading_records(ids text[])
RETURNS TABLE (id text, subject_id text, kind text, severity text, result text, title text,
               occurred_on date, public_until date, status text, source_department text)
LANGUAGE sql STABLE AS $$
    SELECT r.id, r.subject_id, r.kind, r.severity, r.result, r.title, r.occurred_on,
           r.public_until, r.status, r.source_department
    FROM credit_records r
    WHERE r.subject_id = ANY (ids) AND r.status IN ('active', 'objected')
    ORDER BY r.subject_id, r.occurred_on DESC, r.id
$$;

-- Storing a batch of grades, as one definition: Grader (grading/queries.sql upsert_grades) and
-- SQL write paths that store grades computed ahead of their statement (ratings: rating_submit)
-- both call it. A grade row changes only when something in it changed, and only then does
-- grade_history get a row. (PL/pgSQL: the plan is kept for the session.)
CREATE FUNCTION grades_store(p_subjects text[], p_schemes text[], p_versions text[],
                             p_scores int[], p_grades text[], p_explanations jsonb[],
                             p_review_on date[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH input AS (
        SELECT *
        FROM unnest(p_subjects, p_schemes, p_versions, p_scores, p_grades, p_explanations,
                    p_review_on)
             AS t (subject_id, scheme, rule_version, score, grade, explanation, review_on)
    ), changed AS (
        INSERT INTO grades AS g (subject_id, scheme, rule_version, score, grade, explanation,
                                 review_on)
        SELECT subject_id, scheme, rule_version, score, grade, explanation, review_on FROM input
        ON CONFLICT (subject_id, scheme) DO UPDATE
            SET rule_version = excluded.rule_version, score = excluded.score,
                grade = excluded.grade, explanation = excluded.explanation,
                review_on = excluded.review_on, computed_at = now()
            WHERE (g.rule_version, g.score, g.grade, g.explanation, g.review_on)
                  IS DISTINCT FROM
                  (excluded.rule_version, excluded.score, excluded.grade, excluded.explanation,
                   excluded.review_on)
        RETURNING g.subject_id, g.scheme, g.rule_version, g.score, g.grade, g.explanation,
                  g.computed_at
    )
    INSERT INTO grade_history (subject_id, scheme, rule_version, score, grade, explanation,
                               computed_at)
    SELECT subject_id, scheme, rule_version, score, grade, explanation, computed_at FROM changed;
END $$;
