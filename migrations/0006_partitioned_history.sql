-- Monthly partitions for append-only history (issue 15), and the helpers every partitioned
-- table uses. docs/operations.md ("Partitions and retention") has the table of what is kept.
--
-- Declarative range partitioning on the row's time: a month is one partition (a day for the
-- rate-limit counters), created ahead of time by `xinyi_ensure_partitions` — from these
-- migrations, from every start of the service and from the daily job `db.partitions`
-- (xinyi_api.db.partitions) — so that dropping or archiving old rows is a DROP TABLE of a whole
-- partition instead of a DELETE scanning and bloating a table of billions of rows, and a query
-- for recent rows reads recent partitions only.

-- The partition of p_parent (partitioned by range on p_column) holding p_day: one month (p_unit
-- 'month', named <parent>_pYYYYMM) or one day ('day', <parent>_pYYYYMMDD), in UTC for a
-- timestamptz column (whatever the session's time zone). Created if missing;
-- true if it was. When the parent has a DEFAULT partition with rows of that range (written while
-- the partition did not exist), they are moved into it. A BEFORE TRUNCATE trigger of the parent
-- is given to the new partition too (statement triggers are not inherited).
CREATE FUNCTION xinyi_ensure_partition(p_parent regclass, p_column text, p_unit text,
                                       p_day date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc(p_unit, p_day)::date;
    next_day date := (date_trunc(p_unit, p_day) + ('1 ' || p_unit)::interval)::date;
    parent_name text := (SELECT relname FROM pg_class WHERE oid = p_parent);
    part text := parent_name || '_p' || to_char(first_day,
                                                 CASE p_unit WHEN 'month' THEN 'YYYYMM'
                                                             ELSE 'YYYYMMDD' END);
    lower text := first_day::text;
    upper text := next_day::text;
    fallback regclass;
    trig record;
BEGIN
    IF p_unit NOT IN ('month', 'day') THEN
        RAISE EXCEPTION 'partition unit must be month or day, not %', p_unit;
    END IF;
    IF to_regclass(quote_ident(part)) IS NOT NULL THEN
        RETURN false;
    END IF;
    IF (SELECT atttypid FROM pg_attribute WHERE attrelid = p_parent AND attname = p_column)
       = 'timestamptz'::regtype THEN
        lower := to_char(first_day, 'YYYY-MM-DD') || ' 00:00:00+00';
        upper := to_char(next_day, 'YYYY-MM-DD') || ' 00:00:00+00';
    END IF;
    SELECT i.inhrelid::regclass INTO fallback
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = p_parent AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';
    IF fallback IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                       part, p_parent, lower, upper);
    ELSE
        EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                       part, p_parent);
        EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= %L AND %I < %L RETURNING *) '
                       'INSERT INTO %I SELECT * FROM moved',
                       fallback, p_column, lower, p_column, upper, part);
        EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                       p_parent, part, lower, upper);
    END IF;
    FOR trig IN SELECT t.tgname, p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                WHERE t.tgrelid = p_parent AND NOT t.tgisinternal
                  AND (t.tgtype & 32) <> 0 AND (t.tgtype & 2) <> 0 LOOP  -- BEFORE TRUNCATE
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT '
                       'EXECUTE FUNCTION %I()', trig.tgname, part, trig.proname);
    END LOOP;
    RETURN true;
END $$;

-- Every partition of p_parent from the one holding p_from to the one holding p_to; the number
-- created.
CREATE FUNCTION xinyi_ensure_partitions(p_parent regclass, p_column text, p_unit text,
                                        p_from date, p_to date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    day date := date_trunc(p_unit, p_from)::date;
    created integer := 0;
BEGIN
    WHILE day <= p_to LOOP
        IF xinyi_ensure_partition(p_parent, p_column, p_unit, day) THEN
            created := created + 1;
        END IF;
        day := (day + ('1 ' || p_unit)::interval)::date;
    END LOOP;
    RETURN created;
END $$;

-- Retention (xinyi_api.db.partitions): a dated partition goes as a whole; rows a DEFAULT
-- partition holds for days before p_before are deleted.
CREATE FUNCTION xinyi_drop_partition(p_part regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (SELECT relispartition FROM pg_class WHERE oid = p_part) THEN
        RAISE EXCEPTION '% is not a partition', p_part;
    END IF;
    EXECUTE format('DROP TABLE %s', p_part);
END $$;

CREATE FUNCTION xinyi_expire_default_rows(p_parent regclass, p_column text, p_before date)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    fallback regclass;
    n bigint;
BEGIN
    SELECT i.inhrelid::regclass INTO fallback
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = p_parent AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';
    IF fallback IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE format('DELETE FROM %s WHERE %I < $1', fallback, p_column) USING p_before;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- grade_history, partitioned by month of computed_at. Rows never change; a subject's history is
-- read newest first through the (subject_id, scheme, computed_at) index of each partition.
LOCK TABLE grade_history IN ACCESS EXCLUSIVE MODE;
ALTER TABLE grade_history RENAME TO grade_history_unpartitioned;
ALTER INDEX grade_history_pkey RENAME TO grade_history_unpartitioned_pkey;
ALTER INDEX grade_history_subject_idx RENAME TO grade_history_unpartitioned_subject_idx;

CREATE TABLE grade_history (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    subject_id    text NOT NULL REFERENCES subjects (id),
    scheme        text NOT NULL,
    rule_version  text NOT NULL,
    score         integer,
    grade         text NOT NULL,
    explanation   jsonb NOT NULL,
    computed_at   timestamptz NOT NULL,
    PRIMARY KEY (id, computed_at)
) PARTITION BY RANGE (computed_at);
CREATE INDEX grade_history_subject_idx ON grade_history (subject_id, scheme, computed_at DESC);

-- Partitions in UTC months: from the oldest row (or yesterday) to two years ahead.
SELECT xinyi_ensure_partitions('grade_history', 'computed_at', 'month',
    least((now() AT TIME ZONE 'UTC')::date - 1,
          (SELECT (min(computed_at) AT TIME ZONE 'UTC')::date FROM grade_history_unpartitioned)),
    (now() AT TIME ZONE 'UTC' + interval '24 months')::date);

INSERT INTO grade_history (id, subject_id, scheme, rule_version, score, grade, explanation,
                           computed_at)
OVERRIDING SYSTEM VALUE
SELECT id, subject_id, scheme, rule_version, score, grade, explanation, computed_at
FROM grade_history_unpartitioned;
SELECT setval(pg_get_serial_sequence('grade_history', 'id'),
              coalesce((SELECT max(id) FROM grade_history_unpartitioned), 0) + 1, false);
DROP TABLE grade_history_unpartitioned;
