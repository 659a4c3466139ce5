-- name: append_entry
SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8);

-- name: lock_chain_head
-- Only sealers take this lock (appends never do): whoever holds it seals the next entries.
SELECT last_seq, last_entry_id, last_hash FROM audit_chain_head WHERE singleton FOR UPDATE;

-- name: try_lock_chain_head
-- The same, but no row when another sealer holds it (that one will seal what we see).
SELECT last_seq, last_entry_id, last_hash FROM audit_chain_head WHERE singleton
FOR UPDATE SKIP LOCKED;

-- name: chain_head
SELECT last_seq, last_entry_id, last_hash FROM audit_chain_head WHERE singleton;

-- name: unsealed_entries
-- Entries not sealed yet that this statement can see: committed ones (and none of a transaction
-- still running). In id order, which becomes their chain order.
SELECT id, at, actor, role, department, subject_id, action, endpoint, purpose, detail
FROM audit_log WHERE hash IS NULL ORDER BY id LIMIT $1;

-- name: seal_entries
-- Give a batch its chain positions and hashes and advance the head, in one statement. The head
-- only moves when every row of the batch was still unsealed (else nothing is returned). $9, the
-- oldest `at` of the batch, keeps the look-up to the partitions that can hold it (monthly,
-- migrations/0203_audit_log_partitioned.sql).
WITH batch AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[])
        AS b (id, seq, prev_id, prev_hash, hash)
), sealed AS (
    UPDATE audit_log a
    SET seq = b.seq, prev_id = b.prev_id, prev_hash = b.prev_hash, hash = b.hash
    FROM batch b
    WHERE a.id = b.id AND a.hash IS NULL AND a.at >= $9::timestamptz
    RETURNING a.id
)
UPDATE audit_chain_head
SET last_seq = $6, last_entry_id = $7, last_hash = $8
WHERE singleton AND (SELECT count(*) FROM sealed) = cardinality($1::bigint[])
RETURNING last_seq;

-- name: sealed_after
SELECT id, seq, prev_id, at, actor, role, department, subject_id, action, endpoint, purpose,
       detail, prev_hash, hash
FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2;

-- name: count_unsealed
SELECT count(*) AS n, min(at) AS oldest FROM audit_log WHERE hash IS NULL;

-- name: any_unsealed
SELECT EXISTS (SELECT 1 FROM audit_log WHERE hash IS NULL);

-- name: search_entries
-- Newest first. $1 subject, $2 actor, $3 department, $4 action prefix, $5 since, $6 until,
-- $7 cursor (entries with a smaller id), $8 limit. Unsealed entries are listed too (seq, prev_hash
-- and hash still null): an entry is visible as soon as the transaction that wrote it commits.
SELECT id, seq, at, actor, role, department, subject_id, action, endpoint, purpose, detail,
       prev_hash, hash
FROM audit_log
WHERE ($1::text IS NULL OR subject_id = $1)
  AND ($2::text IS NULL OR actor = $2)
  AND ($3::text IS NULL OR department = $3)
  AND ($4::text IS NULL OR action LIKE $4 || '%')
  AND ($5::timestamptz IS NULL OR at >= $5)
  AND ($6::timestamptz IS NULL OR at < $6)
  AND ($7::bigint IS NULL OR id < $7)
ORDER BY id DESC
LIMIT $8;

-- name: reads_of_subject
-- Who looked at a subject's non-public file (查询使用登记), newest first.
SELECT id, at, actor, role, department, action, endpoint, purpose
FROM audit_log
WHERE subject_id = $1 AND action LIKE '%.read'
  AND ($2::bigint IS NULL OR id < $2)
ORDER BY id DESC
LIMIT $3;
