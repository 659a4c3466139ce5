-- 查询使用登记 audit log partitioned by month of `at` (issue 15; helpers in
-- 0006_partitioned_history.sql). The chain does not care where a row lives: `seq`, `prev_id`,
-- `prev_hash` and `hash` link entries across partitions exactly as before, and `xinyi-api audit
-- verify` walks them in chain order over all partitions. Partitions are never dropped (the law
-- and seed 001 §5(四): 查询使用登记 is kept; docs/operations.md "Partitions and retention") — an
-- old partition may be moved to cheaper storage (ALTER TABLE … SET TABLESPACE), not removed,
-- or the chain from its genesis no longer verifies.
--
-- What partitioning changes: a unique index on a partitioned table must contain the partition
-- key, so `seq` and `hash` are no longer unique by index — only the sealer assigns them, one at a
-- time under the chain-head lock, and `verify` reports a duplicated or missing position as a
-- break. The primary key becomes (id, at).

LOCK TABLE audit_log, audit_chain_head IN EXCLUSIVE MODE;

ALTER TABLE audit_log RENAME TO audit_log_unpartitioned;
ALTER INDEX audit_log_pkey RENAME TO audit_log_unpartitioned_pkey;
ALTER INDEX audit_log_subject_idx RENAME TO audit_log_unpartitioned_subject_idx;
ALTER INDEX audit_log_actor_idx RENAME TO audit_log_unpartitioned_actor_idx;
ALTER INDEX audit_log_seq_key RENAME TO audit_log_unpartitioned_seq_key;
ALTER INDEX audit_log_sealed_hash_key RENAME TO audit_log_unpartitioned_sealed_hash_key;
ALTER INDEX audit_log_unsealed_idx RENAME TO audit_log_unpartitioned_unsealed_idx;
ALTER TABLE audit_log_unpartitioned RENAME CONSTRAINT audit_log_seal_whole
    TO audit_log_unpartitioned_seal_whole;
ALTER SEQUENCE audit_log_id_seq OWNED BY NONE;

CREATE TABLE audit_log (
    id          bigint NOT NULL DEFAULT nextval('audit_log_id_seq'),
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    role        text NOT NULL,
    department  text,
    subject_id  text,
    action      text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{1,60}$'),
    endpoint    text NOT NULL,
    purpose     text,
    detail      jsonb NOT NULL DEFAULT '{}',
    prev_hash   text CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash        text CHECK (hash ~ '^[0-9a-f]{64}$'),
    txid        xid8 DEFAULT pg_current_xact_id(),
    seq         bigint,
    prev_id     bigint,
    PRIMARY KEY (id, at),
    CONSTRAINT audit_log_seal_whole
        CHECK ((seq IS NULL) = (hash IS NULL) AND (hash IS NULL) = (prev_hash IS NULL))
) PARTITION BY RANGE (at);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;

CREATE INDEX audit_log_subject_idx ON audit_log (subject_id, id DESC)
    WHERE subject_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id DESC);
CREATE INDEX audit_log_seq_idx ON audit_log (seq) WHERE seq IS NOT NULL;
CREATE INDEX audit_log_sealed_hash_idx ON audit_log (hash) WHERE hash IS NOT NULL;
CREATE INDEX audit_log_unsealed_idx ON audit_log (id) WHERE hash IS NULL;

-- No TRUNCATE, on the table or (the helper copies the trigger) any partition of it.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

SELECT xinyi_ensure_partitions('audit_log', 'at', 'month',
    least((now() AT TIME ZONE 'UTC')::date - 1,
          (SELECT (min(at) AT TIME ZONE 'UTC')::date FROM audit_log_unpartitioned)),
    (now() AT TIME ZONE 'UTC' + interval '24 months')::date);

-- Sealed entries are copied as they are (before the guard exists on the new table: an INSERT
-- may not bring a seal), then the guards of 0201 are put back.
INSERT INTO audit_log (id, at, actor, role, department, subject_id, action, endpoint, purpose,
                       detail, prev_hash, hash, txid, seq, prev_id)
SELECT id, at, actor, role, department, subject_id, action, endpoint, purpose, detail,
       prev_hash, hash, txid, seq, prev_id
FROM audit_log_unpartitioned;
DROP TABLE audit_log_unpartitioned;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
CREATE TRIGGER audit_log_insert_unsealed BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
