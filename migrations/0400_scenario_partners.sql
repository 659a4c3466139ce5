-- 信用+ scenario partners (docs/personal-credit.md): businesses a scenario's department enrols to
-- offer the scenario's person measures (信易游 hotels and scenic spots …), what they redeem with
-- a 动态个人信用码, and nothing about the person beyond the pseudonymous id.

CREATE TABLE scenario_participants (
    scenario     text NOT NULL,
    subject_id   text NOT NULL REFERENCES subjects (id),
    measures     text[] NOT NULL CHECK (cardinality(measures) BETWEEN 1 AND 20),
    enrolled_by  text NOT NULL,
    enrolled_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scenario, subject_id)
);
CREATE INDEX scenario_participants_subject_idx ON scenario_participants (subject_id);

-- The offers are on the scan profile: tell the per-worker profile caches.
CREATE TRIGGER scenario_participants_notify_ins AFTER INSERT ON scenario_participants
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
CREATE TRIGGER scenario_participants_notify_upd AFTER UPDATE ON scenario_participants
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');
CREATE TRIGGER scenario_participants_notify_del AFTER DELETE ON scenario_participants
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_changed_subjects('subject_id');

-- One row per redeemed offer; the code that paid for it is spent (personal_codes.used_at), so a
-- code redeems once.
CREATE TABLE measure_redemptions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scenario     text NOT NULL,
    measure      text NOT NULL,
    subject_id   text NOT NULL REFERENCES subjects (id),
    person_id    text NOT NULL REFERENCES app_accounts (id),
    redeemed_by  text NOT NULL,
    redeemed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX measure_redemptions_subject_idx ON measure_redemptions (subject_id, redeemed_at);
CREATE INDEX measure_redemptions_person_idx ON measure_redemptions (person_id, redeemed_at);
