-- rating_submit as in 0301_rating_summaries_and_submit.sql (which documents it), with one change:
-- before it reads the store's credit file — to check the grades computed ahead, or to hand the
-- file back for grading — it takes the store's grading lock (0004_grading_locks.sql). Until now
-- the rating_summaries row lock ordered concurrent ratings of one store, but not a rating and
-- another change of the file (a record corrected, an objection decided): each graded the file
-- without the other's change, and the later grade kept that gap.

CREATE OR REPLACE FUNCTION rating_submit(
    p_consumer text, p_role text, p_department text, p_store text, p_stars int,
    p_dimensions jsonb, p_text text, p_text_hash text, p_visit_hours int,
    p_rating_department text, p_industry text, p_burst int, p_many_stores int, p_endpoint text,
    p_fingerprint text, p_expect_n int, p_expect_total int, p_schemes text[], p_versions text[],
    p_scores int[], p_grades text[], p_explanations text[], p_review_on date[]
) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    store record;
    slot record;
    reasons text[];
    new_status text;
    rating ratings;
    held int := 0;
    entry_id bigint;
    file json;
    now_n int;
    now_total int;
BEGIN
    SELECT s.type, s.industry, s.closed_at IS NOT NULL AS closed,
           coalesce((SELECT e.closed_at IS NOT NULL FROM subjects e WHERE e.id = s.enterprise_id),
                    false) AS owner_closed
    INTO store FROM subjects s WHERE s.id = p_store;
    IF NOT FOUND OR store.type <> 'store' THEN
        RETURN json_build_object('outcome', 'not-found');
    END IF;
    IF store.closed OR store.owner_closed THEN
        RETURN json_build_object('outcome', 'closed');
    END IF;
    IF NOT has_visit_proof(p_consumer, p_store, p_visit_hours) THEN
        RETURN json_build_object('outcome', 'no-visit-proof');
    END IF;
    IF p_schemes IS NOT NULL AND store.industry IS DISTINCT FROM p_industry THEN
        RAISE EXCEPTION 'store % changed since it was graded', p_store USING ERRCODE = 'XR001';
    END IF;

    -- The per-(consumer, store) row every submission locks: concurrent submissions queue here.
    -- A period older than 30 days starts afresh (the old rating stays; the next is a new one).
    INSERT INTO rating_slots AS s (consumer_id, subject_id, period_start)
    VALUES (p_consumer, p_store, now())
    ON CONFLICT (consumer_id, subject_id) DO UPDATE
        SET period_start = CASE WHEN s.period_start <= now() - interval '30 days' THEN now()
                                ELSE s.period_start END,
            rating_id = CASE WHEN s.period_start <= now() - interval '30 days' THEN NULL
                             ELSE s.rating_id END
    RETURNING s.period_start, s.rating_id INTO slot;
    IF slot.rating_id IS NOT NULL THEN
        RETURN json_build_object('outcome', 'existing', 'rating_id', slot.rating_id);
    END IF;

    reasons := rating_hold_reasons(p_consumer, p_store, p_text_hash, p_burst, p_many_stores);
    new_status := CASE WHEN cardinality(reasons) > 0 THEN 'held' ELSE 'published' END;
    INSERT INTO ratings (consumer_id, subject_id, department, period_start, stars, dimensions,
                         text, text_hash, status, hold_reasons)
    VALUES (p_consumer, p_store, p_rating_department, slot.period_start, p_stars, p_dimensions,
            p_text, p_text_hash, new_status, reasons)
    RETURNING * INTO rating;
    UPDATE rating_slots SET rating_id = rating.id
    WHERE consumer_id = p_consumer AND subject_id = p_store;
    IF 'burst' = ANY (reasons) THEN
        -- Hold the published ratings of new accounts on this store within the burst window.
        WITH b AS (
            UPDATE ratings r
            SET status = 'held', hold_reasons = array_append(r.hold_reasons, 'burst'),
                updated_at = now()
            FROM (SELECT r2.id FROM ratings r2 LEFT JOIN app_accounts a ON a.id = r2.consumer_id
                  WHERE r2.subject_id = p_store AND r2.status = 'published'
                    AND r2.created_at > now() - interval '1 hour'
                    AND (a.created_at IS NULL OR a.created_at > now() - interval '7 days')) h
            WHERE r.id = h.id
            RETURNING r.id
        )
        SELECT count(*) INTO held FROM b;
    END IF;
    entry_id := audit_append(p_consumer, p_role, p_department, p_store, 'rating.submit',
                             p_endpoint, NULL,
                             jsonb_build_object('rating_id', rating.id, 'status', new_status));
    IF new_status = 'published' OR held > 0 THEN
        -- Wait for any other transaction grading this store (migrations/0004_grading_locks.sql)
        -- so that the file read and checked below includes its change.
        PERFORM grading_lock(ARRAY[p_store]);
        SELECT n, total INTO now_n, now_total FROM rating_summaries WHERE subject_id = p_store;
        IF p_schemes IS NULL THEN
            file := json_build_object('store', rating_grading_file(p_store),
                                      'ratings', json_build_object('n', coalesce(now_n, 0),
                                                                   'total', coalesce(now_total, 0)));
        ELSIF held > 0 OR now_n IS DISTINCT FROM p_expect_n
              OR now_total IS DISTINCT FROM p_expect_total
              OR md5(rating_grading_file(p_store)::text) IS DISTINCT FROM p_fingerprint THEN
            RAISE EXCEPTION 'the credit file of % changed since it was graded', p_store
                USING ERRCODE = 'XR001';
        ELSE
            PERFORM grades_store(array_fill(p_store, ARRAY[cardinality(p_schemes)]), p_schemes,
                                 p_versions, p_scores, p_grades, p_explanations::jsonb[],
                                 p_review_on);
        END IF;
    END IF;
    RETURN json_build_object('outcome', 'created', 'rating', row_to_json(rating),
                             'held', held, 'audit_id', entry_id, 'file', file);
END $$;
