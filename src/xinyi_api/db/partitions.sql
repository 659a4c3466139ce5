-- Partition maintenance (xinyi_api.db.partitions; SQL helpers in
-- migrations/0006_partitioned_history.sql).

-- name: utc_today
SELECT (now() AT TIME ZONE 'UTC')::date;

-- name: table_exists
SELECT to_regclass($1);

-- name: ensure_partitions
SELECT xinyi_ensure_partitions($1::text::regclass, $2, $3, $4, $5);

-- name: partitions_of
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = $1::text::regclass;

-- name: default_partition
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = $1::text::regclass AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';

-- name: drop_partition
SELECT xinyi_drop_partition($1::text::regclass);

-- name: expire_default_rows
SELECT xinyi_expire_default_rows($1::text::regclass, $2, $3);

-- name: scan_daily_roll_up
SELECT scan_daily_roll_up($1::text::regclass, $2);
