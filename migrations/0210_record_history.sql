-- 信用记录修改留痕: every change to a credit record after it was added — a correction (更正) or
-- withdrawal (撤销) by its source department, an objection filed or decided (异议), an approved
-- repair (信用修复) — with who, when, why and the values before and after. Shown where a
-- record's history is read (GET /api/v1/records/{id}/history, the full file). Append-only.

CREATE TABLE credit_record_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id   text NOT NULL REFERENCES credit_records (id),
    action      text NOT NULL CHECK (action IN ('correct', 'withdraw', 'objection.file',
                                                'objection.correct', 'objection.withdraw',
                                                'objection.uphold', 'repair.approve')),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    actor       text NOT NULL,
    department  text,
    ref         text,
    before      jsonb NOT NULL DEFAULT '{}',
    after       jsonb NOT NULL DEFAULT '{}',
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credit_record_history_record_idx ON credit_record_history (record_id, id);

CREATE FUNCTION credit_record_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credit_record_history is append-only (修改留痕 is never changed)'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER credit_record_history_no_update_delete BEFORE UPDATE OR DELETE
    ON credit_record_history FOR EACH ROW EXECUTE FUNCTION credit_record_history_append_only();
