-- 扫码统计 scan counts partitioned by month of `day` (issue 15; helpers in
-- 0006_partitioned_history.sql), and monthly totals for what is older than a year.
--
-- The counts are written by the workers' flushers for the day *of the service's clock*, so a
-- DEFAULT partition takes any day no monthly partition covers yet (the job moves such rows into
-- the month's partition when it creates it). Retention (xinyi_api.db.partitions, job
-- `db.partitions`): daily rows stay for 13 months — `…/scan-stats` serves up to 366 days back —
-- then a month is added to scan_monthly and its partition dropped.

LOCK TABLE scan_daily IN ACCESS EXCLUSIVE MODE;
ALTER TABLE scan_daily RENAME TO scan_daily_unpartitioned;
ALTER INDEX scan_daily_pkey RENAME TO scan_daily_unpartitioned_pkey;

CREATE TABLE scan_daily (
    subject_id  text NOT NULL REFERENCES subjects (id),
    day         date NOT NULL,
    count       bigint NOT NULL CHECK (count >= 0),
    PRIMARY KEY (subject_id, day)
) PARTITION BY RANGE (day);
CREATE TABLE scan_daily_default PARTITION OF scan_daily DEFAULT;

SELECT xinyi_ensure_partitions('scan_daily', 'day', 'month',
    least((now() AT TIME ZONE 'UTC')::date - 1, (SELECT min(day) FROM scan_daily_unpartitioned)),
    (now() AT TIME ZONE 'UTC' + interval '24 months')::date);
INSERT INTO scan_daily (subject_id, day, count)
SELECT subject_id, day, count FROM scan_daily_unpartitioned;
DROP TABLE scan_daily_unpartitioned;

-- Scans per subject and month, for months whose daily rows were dropped.
CREATE TABLE scan_monthly (
    subject_id  text NOT NULL REFERENCES subjects (id),
    month       date NOT NULL CHECK (month = date_trunc('month', month)::date),
    count       bigint NOT NULL CHECK (count >= 0),
    PRIMARY KEY (subject_id, month)
);

-- Add the daily counts of p_source (a partition of scan_daily, or its DEFAULT partition: then
-- only the days before p_before) to scan_monthly. Called before they are dropped.
CREATE FUNCTION scan_daily_roll_up(p_source regclass, p_before date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format(
        'INSERT INTO scan_monthly AS m (subject_id, month, count) '
        'SELECT subject_id, date_trunc(''month'', day)::date, sum(count) FROM %s '
        'WHERE $1 IS NULL OR day < $1 GROUP BY 1, 2 '
        'ON CONFLICT (subject_id, month) DO UPDATE SET count = m.count + excluded.count',
        p_source) USING p_before;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
