-- 信用+医保 own data: DIP 定点医药机构 service agreements (服务资格) and media exposures (媒体曝光).
-- Tables carry the scenario key as prefix; rows are never deleted (core forbid_delete trigger).

-- The 医保服务协议 of a designated institution: in force, suspended (暂停) or terminated (解除).
CREATE TABLE medical_insurance_agreements (
    subject_id    text PRIMARY KEY REFERENCES subjects (id),
    agreement_no  text NOT NULL CHECK (length(agreement_no) BETWEEN 1 AND 60),
    status        text NOT NULL CHECK (status IN ('in_force', 'suspended', 'terminated')),
    signed_on     date NOT NULL,
    status_since  date NOT NULL,
    note          text NOT NULL DEFAULT '',
    updated_by    text NOT NULL REFERENCES departments (code),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (status_since >= signed_on)
);

-- 媒体曝光: a report about an institution. Only verified (经核实) reports count towards grades.
CREATE TABLE medical_insurance_media_exposures (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id   text NOT NULL REFERENCES subjects (id),
    outlet       text NOT NULL CHECK (length(outlet) BETWEEN 1 AND 100),
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    reported_on  date NOT NULL,
    severity     text NOT NULL CHECK (severity IN ('minor', 'general', 'serious', 'severe')),
    verified     boolean NOT NULL DEFAULT false,
    recorded_by  text NOT NULL REFERENCES departments (code),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX medical_insurance_media_exposures_subject_idx
    ON medical_insurance_media_exposures (subject_id, reported_on DESC);

CREATE TRIGGER medical_insurance_media_exposures_no_delete
    BEFORE DELETE ON medical_insurance_media_exposures
    FOR EACH ROW EXECUTE FUNCTION forbid_delete();
CREATE TRIGGER medical_insurance_agreements_no_delete BEFORE DELETE ON medical_insurance_agreements
    FOR EACH ROW EXECUTE FUNCTION forbid_delete();
