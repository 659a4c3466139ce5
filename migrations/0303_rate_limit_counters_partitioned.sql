-- Rate-limit counters partitioned by day of `window_start` (issue 15; helpers in
-- 0006_partitioned_history.sql). A counter matters until its window ends — at most 7 days
-- (XINYI_RATE_LIMITS refuses longer windows) — so the job `db.partitions` drops a day's
-- partition 8 days later: a DROP TABLE instead of the DELETE that rewrote the hottest table of
-- the rating path. A DEFAULT partition takes the days no partition covers yet (moved into the
-- day's partition when it is created).

LOCK TABLE rate_limit_counters IN ACCESS EXCLUSIVE MODE;
ALTER TABLE rate_limit_counters RENAME TO rate_limit_counters_unpartitioned;
ALTER INDEX rate_limit_counters_pkey RENAME TO rate_limit_counters_unpartitioned_pkey;
ALTER INDEX rate_limit_counters_window_idx RENAME TO rate_limit_counters_unpartitioned_window_idx;

CREATE TABLE rate_limit_counters (
    bucket        text NOT NULL,
    window_start  timestamptz NOT NULL,
    n             integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
) PARTITION BY RANGE (window_start);
CREATE INDEX rate_limit_counters_window_idx ON rate_limit_counters (window_start);
CREATE TABLE rate_limit_counters_default PARTITION OF rate_limit_counters DEFAULT;

SELECT xinyi_ensure_partitions('rate_limit_counters', 'window_start', 'day',
    (now() AT TIME ZONE 'UTC')::date - 8, (now() AT TIME ZONE 'UTC')::date + 14);
INSERT INTO rate_limit_counters (bucket, window_start, n)
SELECT bucket, window_start, n FROM rate_limit_counters_unpartitioned
WHERE window_start >= now() - interval '8 days';
DROP TABLE rate_limit_counters_unpartitioned;
