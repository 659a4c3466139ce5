-- Ratings (docs/consumers.md): maintained summaries instead of aggregating every rating on each
-- regrade, and a new rating in two statements: rating_prepare (rate limits, the store's credit
-- file), then — the caller having graded the store as it will be — rating_submit (everything
-- else, the grades included).

LOCK TABLE ratings IN SHARE MODE;  -- no rating changes between the backfill and the triggers

-- 评价汇总: published ratings per store (count, sum of stars, star distribution) and per
-- dimension, kept by triggers on `ratings` in the transaction that changes them. Grading's
-- rating indicator, the public summary and the scan profile read one row. The row lock also
-- orders concurrent ratings of one store: each regrade sees the ratings committed before it.
CREATE TABLE rating_summaries (
    subject_id  text PRIMARY KEY REFERENCES subjects (id),
    n           integer NOT NULL,
    total       integer NOT NULL,
    s1          integer NOT NULL,
    s2          integer NOT NULL,
    s3          integer NOT NULL,
    s4          integer NOT NULL,
    s5          integer NOT NULL,
    CHECK (s1 >= 0 AND s2 >= 0 AND s3 >= 0 AND s4 >= 0 AND s5 >= 0),
    CHECK (n = s1 + s2 + s3 + s4 + s5 AND total = s1 + 2 * s2 + 3 * s3 + 4 * s4 + 5 * s5)
);

CREATE TABLE rating_dimension_totals (
    subject_id  text NOT NULL REFERENCES subjects (id),
    key         text NOT NULL,
    n           integer NOT NULL CHECK (n >= 0),
    total       integer NOT NULL,
    PRIMARY KEY (subject_id, key)
);

INSERT INTO rating_summaries (subject_id, n, total, s1, s2, s3, s4, s5)
SELECT subject_id, count(*), sum(stars),
       count(*) FILTER (WHERE stars = 1), count(*) FILTER (WHERE stars = 2),
       count(*) FILTER (WHERE stars = 3), count(*) FILTER (WHERE stars = 4),
       count(*) FILTER (WHERE stars = 5)
FROM ratings WHERE status = 'published' GROUP BY subject_id;

INSERT INTO rating_dimension_totals (subject_id, key, n, total)
SELECT r.subject_id, d.key, count(*), sum(d.value::int)
FROM ratings r, jsonb_each_text(r.dimensions) AS d (key, value)
WHERE r.status = 'published' GROUP BY r.subject_id, d.key;

-- Add (sign 1) or take away (sign -1) one published rating. (Taking away is an UPDATE, not an
-- upsert: the CHECK constraints apply to an upsert's proposed row before the conflict.)
CREATE FUNCTION rating_summary_apply(p_subject text, p_stars int, p_dimensions jsonb,
                                     p_sign int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_sign > 0 THEN
        INSERT INTO rating_summaries AS s (subject_id, n, total, s1, s2, s3, s4, s5)
        VALUES (p_subject, 1, p_stars, (p_stars = 1)::int, (p_stars = 2)::int,
                (p_stars = 3)::int, (p_stars = 4)::int, (p_stars = 5)::int)
        ON CONFLICT (subject_id) DO UPDATE
            SET n = s.n + 1, total = s.total + excluded.total, s1 = s.s1 + excluded.s1,
                s2 = s.s2 + excluded.s2, s3 = s.s3 + excluded.s3, s4 = s.s4 + excluded.s4,
                s5 = s.s5 + excluded.s5;
        IF p_dimensions <> '{}' THEN
            INSERT INTO rating_dimension_totals AS d (subject_id, key, n, total)
            SELECT p_subject, e.key, 1, e.value::int
            FROM jsonb_each_text(p_dimensions) AS e (key, value)
            ON CONFLICT (subject_id, key) DO UPDATE
                SET n = d.n + 1, total = d.total + excluded.total;
        END IF;
    ELSE
        UPDATE rating_summaries
        SET n = n - 1, total = total - p_stars, s1 = s1 - (p_stars = 1)::int,
            s2 = s2 - (p_stars = 2)::int, s3 = s3 - (p_stars = 3)::int,
            s4 = s4 - (p_stars = 4)::int, s5 = s5 - (p_stars = 5)::int
        WHERE subject_id = p_subject;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'rating_summaries has no row for %, which had a published rating',
                p_subject;
        END IF;
        IF p_dimensions <> '{}' THEN
            UPDATE rating_dimension_totals d SET n = d.n - 1, total = d.total - e.value::int
            FROM jsonb_each_text(p_dimensions) AS e (key, value)
            WHERE d.subject_id = p_subject AND d.key = e.key;
        END IF;
    END IF;
END $$;

CREATE FUNCTION ratings_maintain_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'published' THEN
        PERFORM rating_summary_apply(OLD.subject_id, OLD.stars, OLD.dimensions, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'published' THEN
        PERFORM rating_summary_apply(NEW.subject_id, NEW.stars, NEW.dimensions, 1);
    END IF;
    RETURN NULL;
END $$;

-- WHEN clauses keep the common no-op updates (helpful votes, reports) out of PL/pgSQL.
CREATE TRIGGER ratings_summary_ins AFTER INSERT ON ratings
    FOR EACH ROW WHEN (NEW.status = 'published')
    EXECUTE FUNCTION ratings_maintain_summary();
CREATE TRIGGER ratings_summary_upd AFTER UPDATE OF subject_id, status, stars, dimensions ON ratings
    FOR EACH ROW WHEN ((OLD.status = 'published' OR NEW.status = 'published')
                       AND (OLD.subject_id, OLD.status, OLD.stars, OLD.dimensions)
                           IS DISTINCT FROM (NEW.subject_id, NEW.status, NEW.stars,
                                             NEW.dimensions))
    EXECUTE FUNCTION ratings_maintain_summary();
CREATE TRIGGER ratings_summary_del AFTER DELETE ON ratings
    FOR EACH ROW WHEN (OLD.status = 'published')
    EXECUTE FUNCTION ratings_maintain_summary();

-- (PL/pgSQL rather than SQL functions: PostgreSQL plans a SQL function's query on every call
-- unless it can inline it, PL/pgSQL keeps the plan for the session.)

-- 到店证明: a scan of the store's code by the consumer within the visit window.
CREATE FUNCTION has_visit_proof(p_consumer text, p_store text, p_hours int) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM visit_proofs
                   WHERE consumer_id = p_consumer AND subject_id = p_store
                     AND last_at > now() - make_interval(hours => p_hours));
END $$;

-- 恶意评价 / 刷单: why a rating of p_store by p_consumer with text hash p_text_hash is held, in
-- the order burst, many_stores, repeated_text (empty: publish). Thresholds from
-- ratings.service.SUSPICION: p_burst other new-account ratings of the store within the hour
-- (when the rater is new), p_many_stores other stores rated within the hour.
CREATE FUNCTION rating_hold_reasons(p_consumer text, p_store text, p_text_hash text,
                                    p_burst int, p_many_stores int) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    reasons text[] := '{}';
    new_account boolean;
BEGIN
    SELECT coalesce(bool_or(a.created_at > now() - interval '7 days'), true) INTO new_account
    FROM (SELECT 1) x LEFT JOIN app_accounts a ON a.id = p_consumer;
    IF new_account AND (
        SELECT count(*) FROM ratings r LEFT JOIN app_accounts a ON a.id = r.consumer_id
        WHERE r.subject_id = p_store AND r.consumer_id <> p_consumer
          AND r.created_at > now() - interval '1 hour'
          AND (a.created_at IS NULL OR a.created_at > now() - interval '7 days')
    ) >= p_burst THEN
        reasons := reasons || 'burst'::text;
    END IF;
    IF (SELECT count(DISTINCT subject_id) FROM ratings
        WHERE consumer_id = p_consumer AND subject_id <> p_store
          AND created_at > now() - interval '1 hour') >= p_many_stores THEN
        reasons := reasons || 'many_stores'::text;
    END IF;
    IF p_text_hash IS NOT NULL AND EXISTS (
        SELECT 1 FROM ratings
        WHERE text_hash = p_text_hash AND subject_id <> p_store
          AND created_at > now() - interval '7 days') THEN
        reasons := reasons || 'repeated_text'::text;
    END IF;
    RETURN reasons;
END $$;

-- Rate-limit counting (consumers.ratelimit): one definition for the generic hit and for
-- rating_prepare. Windows start at multiples of their length (epoch seconds), so every worker
-- agrees on them; buckets come sorted (no deadlocks).
CREATE FUNCTION rate_limit_hit(p_buckets text[], p_windows int[])
RETURNS TABLE (bucket text, n integer, window_start timestamptz) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    INSERT INTO rate_limit_counters AS c (bucket, window_start, n)
    SELECT t.b, to_timestamp((extract(epoch FROM clock_timestamp())::bigint / t.w) * t.w), 1
    FROM unnest(p_buckets, p_windows) AS t (b, w)
    ON CONFLICT (bucket, window_start) DO UPDATE SET n = c.n + 1
    RETURNING c.bucket, c.n, c.window_start;
END $$;

-- A store as the rating path needs it, and its credit file as grading reads it (the subject row
-- of grading/queries.sql load_subjects, the records of grading_records in their order): null
-- when p_store is not a store.
CREATE FUNCTION rating_grading_file(p_store text) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT json_build_object(
            'subject_type', s.type, 'industry', s.industry, 'region_code', s.region_code,
            'closed', s.closed_at IS NOT NULL, 'created_by', s.created_by,
            'owner_closed', coalesce((SELECT e.closed_at IS NOT NULL FROM subjects e
                                      WHERE e.id = s.enterprise_id), false),
            'records', (SELECT coalesce(json_agg(g ORDER BY g.occurred_on DESC, g.id), '[]')
                        FROM grading_records(ARRAY[p_store]) AS g))
        FROM subjects s WHERE s.id = p_store AND s.type = 'store');
END $$;

-- First statement of a submission, on its own (autocommit): counts the rate-limit hits and reads
-- what the caller needs to check the request and to grade the store as it will be with the
-- rating: the store and its file (with the file's md5 fingerprint), the visit proof and the
-- rating summary. The counters need no durability (a crash forgets the last moments' hits), so
-- this statement commits asynchronously: the row lock of a busy counter (one client address) is
-- released without waiting for the disk. (Never call it inside a transaction: that transaction
-- would commit asynchronously too.)
CREATE FUNCTION rating_prepare(p_buckets text[], p_windows int[], p_consumer text, p_store text,
                               p_visit_hours int) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    store json;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    store := rating_grading_file(p_store);
    RETURN json_build_object(
        'hits', (SELECT json_agg(h) FROM rate_limit_hit(p_buckets, p_windows) AS h),
        'store', store, 'fingerprint', md5(store::text),
        'visit', has_visit_proof(p_consumer, p_store, p_visit_hours),
        'ratings', (SELECT json_build_object('n', n, 'total', total) FROM rating_summaries
                    WHERE subject_id = p_store));
END $$;

-- The submission, in one statement: the store (exists, open), the visit proof, the
-- (consumer, store) slot lock, and — when the slot holds no rating of the current period — the
-- abuse rules, the insert, the burst hold, the audit entry and the grades. Answers JSON
-- {"outcome": …}:
--   not-found | closed | no-visit-proof: nothing written;
--   existing (+ rating_id): the slot holds this period's rating; the caller edits it (in a
--     transaction: the slot lock is held until it ends);
--   created (+ rating, held, audit_id, file).
-- p_rating_department: who moderates it (the caller decides from the store's scenario, for
-- p_industry). Grades: when the rating is published, the store must be regraded in this
-- transaction. Either the caller graded it ahead (p_schemes … p_review_on, one entry per rule,
-- computed from rating_prepare's file with this rating counted): they are stored if the file is
-- still the one graded — industry, summary (p_expect_n, p_expect_total) and fingerprint
-- unchanged, and no burst hold — else SQLSTATE XR001 undoes the statement and the caller takes
-- the other way: inside its own transaction, p_schemes null, and `file` comes back (the file
-- after this rating, and its summary) for the caller to grade and store before committing.
CREATE FUNCTION rating_submit(
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
