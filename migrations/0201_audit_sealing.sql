-- 查询使用登记 audit log without a global lock (docs/accountability.md, "Sealing").
--
-- Until now every append locked the one row of audit_chain_head until its transaction committed,
-- so all write transactions of the system committed one after the other. From here on:
--
-- * an append only INSERTs its entry inside the caller's transaction: the id comes from a
--   sequence (gaps allowed: a rolled-back transaction burns its id), `txid` records the writing
--   transaction, and `seq`, `prev_id`, `prev_hash`, `hash` stay NULL ("unsealed");
-- * the sealer (xinyi_api.accountability.audit.seal) takes the head row lock — only sealers take
--   it, for a few milliseconds — reads the unsealed entries it can see (committed ones: rows of
--   transactions still running are invisible, rolled-back ones never exist), numbers them after
--   the head in id order (`seq`, the chain position), links and hashes them exactly as before
--   (sha256 over the same canonical JSON, `id` being the entry id) and advances the head.
--   Chain order is therefore seal order, not id order: an entry with a lower id whose transaction
--   commits later is sealed later, at a higher position;
-- * a sealed entry never changes again: the guard trigger lets an unsealed row receive its seal
--   once (seq, prev_id, prev_hash, hash, nothing else) and refuses every other UPDATE, and
--   DELETE and TRUNCATE as before; an INSERT cannot bring its own seal.
--
-- Existing entries were chained in id order with gap-free ids, so their chain position is their
-- id and the entry before each is id - 1: this migration fills that in (before the new guard
-- exists; the hashed fields are untouched, so every existing hash stays valid).

LOCK TABLE audit_log, audit_chain_head IN EXCLUSIVE MODE;

CREATE SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
SELECT setval('audit_log_id_seq', coalesce((SELECT max(id) FROM audit_log), 0) + 1, false);

ALTER TABLE audit_log
    ALTER COLUMN id SET DEFAULT nextval('audit_log_id_seq'),
    ALTER COLUMN prev_hash DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL,
    ADD COLUMN txid xid8,
    ADD COLUMN seq bigint,
    ADD COLUMN prev_id bigint;
-- Only new rows get the writing transaction's id (existing ones keep NULL: no table rewrite).
ALTER TABLE audit_log ALTER COLUMN txid SET DEFAULT pg_current_xact_id();

DROP TRIGGER audit_log_no_update_delete ON audit_log;
UPDATE audit_log SET seq = id, prev_id = nullif(id - 1, 0);

ALTER TABLE audit_log
    ADD CONSTRAINT audit_log_seal_whole
        CHECK ((seq IS NULL) = (hash IS NULL) AND (hash IS NULL) = (prev_hash IS NULL));
-- Unique positions and hashes among sealed entries; partial, so an append (unsealed) does not
-- touch these indexes at all.
CREATE UNIQUE INDEX audit_log_seq_key ON audit_log (seq) WHERE seq IS NOT NULL;
CREATE UNIQUE INDEX audit_log_sealed_hash_key ON audit_log (hash) WHERE hash IS NOT NULL;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_hash_key;
-- What the sealer looks for: small, only the entries not sealed yet.
CREATE INDEX audit_log_unsealed_idx ON audit_log (id) WHERE hash IS NULL;

-- The head is the last sealed entry: its chain position, its id and its hash.
ALTER TABLE audit_chain_head RENAME COLUMN last_id TO last_seq;
ALTER TABLE audit_chain_head ADD COLUMN last_entry_id bigint;
UPDATE audit_chain_head SET last_entry_id = nullif(last_seq, 0);

CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.seq IS NOT NULL OR NEW.prev_id IS NOT NULL OR NEW.prev_hash IS NOT NULL
           OR NEW.hash IS NOT NULL THEN
            RAISE EXCEPTION 'audit entries are written unsealed; the sealer chains them'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    -- The one permitted change: an unsealed entry receives its seal, once, and nothing else.
    IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND OLD.seq IS NULL AND OLD.prev_id IS NULL
       AND NEW.hash IS NOT NULL AND NEW.seq IS NOT NULL
       AND (NEW.id, NEW.at, NEW.actor, NEW.role, NEW.department, NEW.subject_id, NEW.action,
            NEW.endpoint, NEW.purpose, NEW.detail, NEW.txid)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor, OLD.role, OLD.department, OLD.subject_id, OLD.action,
            OLD.endpoint, OLD.purpose, OLD.detail, OLD.txid) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only (查询使用登记 entries are never changed or deleted)'
        USING ERRCODE = 'restrict_violation';
END $$;

-- Same name as before (operators' runbooks and tests refer to it), new function.
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
CREATE TRIGGER audit_log_insert_unsealed BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

-- The append, for Python (audit.append) and for SQL write paths of other modules that record
-- their operation in the same statement (ratings.rating_submit). Returns the entry id.
CREATE FUNCTION audit_append(p_actor text, p_role text, p_department text, p_subject_id text,
                             p_action text, p_endpoint text, p_purpose text, p_detail jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    entry_id bigint;
BEGIN
    INSERT INTO audit_log (at, actor, role, department, subject_id, action, endpoint, purpose,
                           detail)
    VALUES (clock_timestamp(), p_actor, p_role, p_department, p_subject_id, p_action, p_endpoint,
            p_purpose, coalesce(p_detail, '{}'))
    RETURNING id INTO entry_id;
    RETURN entry_id;
END $$;
