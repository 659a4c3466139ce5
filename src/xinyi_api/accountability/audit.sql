-- name: lock_chain_head
-- Serialises appends: whoever holds this row lock writes the next entry.
SELECT last_id, last_hash FROM audit_chain_head WHERE singleton FOR UPDATE;

-- name: chain_head
SELECT last_id, last_hash FROM audit_chain_head WHERE singleton;

-- name: insert_entry
INSERT INTO audit_log (id, at, actor, role, department, subject_id, action, endpoint, purpose,
                       detail, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);

-- name: advance_chain_head
UPDATE audit_chain_head SET last_id = $1, last_hash = $2 WHERE singleton;

-- name: entries_after
SELECT id, at, actor, role, department, subject_id, action, endpoint, purpose, detail,
       prev_hash, hash
FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2;

-- name: search_entries
-- Newest first. $1 subject, $2 actor, $3 department, $4 action prefix, $5 since, $6 until,
-- $7 cursor (entries with a smaller id), $8 limit.
SELECT id, at, actor, role, department, subject_id, action, endpoint, purpose, detail,
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
