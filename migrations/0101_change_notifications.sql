-- Change notifications 变更通知 for the per-worker scan-profile caches (xinyi_api.codes.cache).
--
-- Every committed change to what a scan shows sends NOTIFY on channel 'xinyi_changes' with the
-- affected subject ids, comma-separated; '*' means "too many to list, drop everything". NOTIFY is
-- transactional: it is delivered on commit, never for a rolled-back change, and PostgreSQL folds
-- identical payloads of one transaction into one.
--
-- Statement-level triggers with transition tables keep this set-based: a bulk write of a million
-- grades costs one '*' notification, not a million.
--
-- A module whose data appears on the scan profile (a scenario's badges, ratings…) adds the same
-- trigger to its own table, naming its subject-id column:
--
--   CREATE TRIGGER my_table_notify_ins AFTER INSERT ON my_table
--       REFERENCING NEW TABLE AS changed_rows
--       FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
--   (and the same for UPDATE with NEW TABLE, DELETE with OLD TABLE)
--
-- or calls xinyi_notify_subjects(ARRAY[subject_id]) from its own code.

CREATE FUNCTION xinyi_notify_subjects(ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- A payload must stay under 8000 bytes; subject ids are 9 characters.
    IF cardinality(ids) > 400 THEN
        PERFORM pg_notify('xinyi_changes', '*');
    ELSE
        PERFORM pg_notify('xinyi_changes', array_to_string(ids, ','));
    END IF;
END $$;

-- TG_ARGV[0]: the column holding the subject id. The transition table must be 'changed_rows'.
CREATE FUNCTION xinyi_notify_changed_subjects() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text[];
BEGIN
    EXECUTE format(
        'SELECT array_agg(v) FROM (SELECT DISTINCT %I AS v FROM changed_rows LIMIT 401) t',
        TG_ARGV[0]
    ) INTO ids;
    PERFORM xinyi_notify_subjects(ids);
    RETURN NULL;
END $$;

CREATE TRIGGER subjects_notify_ins AFTER INSERT ON subjects
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('id');
CREATE TRIGGER subjects_notify_upd AFTER UPDATE ON subjects
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('id');

CREATE TRIGGER credit_records_notify_ins AFTER INSERT ON credit_records
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
CREATE TRIGGER credit_records_notify_upd AFTER UPDATE ON credit_records
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');

CREATE TRIGGER grades_notify_ins AFTER INSERT ON grades
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
CREATE TRIGGER grades_notify_upd AFTER UPDATE ON grades
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
CREATE TRIGGER grades_notify_del AFTER DELETE ON grades
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');

CREATE TRIGGER codes_notify_ins AFTER INSERT ON codes
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
CREATE TRIGGER codes_notify_upd AFTER UPDATE ON codes
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
