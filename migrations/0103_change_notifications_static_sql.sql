-- Change notifications (0101) without dynamic SQL for the usual columns.
--
-- xinyi_notify_changed_subjects ran EXECUTE format(…) on every write statement of a notifying
-- table; PostgreSQL parses and plans a dynamic statement anew each time (about 0.05–0.1 ms — a
-- rating submission fires it three times: ratings, and the INSERT and UPDATE triggers of its
-- grade upsert). The subject-id column is 'subject_id' or 'id' on every table so far: for those
-- the query is static, and PL/pgSQL keeps its plan (per table the trigger is on). Any other
-- column still works through EXECUTE. Same payloads as before.
CREATE OR REPLACE FUNCTION xinyi_notify_changed_subjects() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text[];
BEGIN
    IF TG_ARGV[0] = 'subject_id' THEN
        SELECT array_agg(v) INTO ids
        FROM (SELECT DISTINCT subject_id AS v FROM changed_rows LIMIT 401) t;
    ELSIF TG_ARGV[0] = 'id' THEN
        SELECT array_agg(v) INTO ids FROM (SELECT DISTINCT id AS v FROM changed_rows LIMIT 401) t;
    ELSE
        EXECUTE format(
            'SELECT array_agg(v) FROM (SELECT DISTINCT %I AS v FROM changed_rows LIMIT 401) t',
            TG_ARGV[0]
        ) INTO ids;
    END IF;
    PERFORM xinyi_notify_subjects(ids);
    RETURN NULL;
END $$;
