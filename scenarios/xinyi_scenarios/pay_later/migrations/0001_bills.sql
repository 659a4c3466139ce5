-- 信用+先医后付 bills (scenarios/pay_later/bills.py). Amounts are in fen (分).
--
-- A bill is pre-authorised against the patient's credit line ('authorised', holding
-- authorised_fen), charged when treatment ends ('billed', holding billed_fen, due on due_on),
-- then 'settled' when the patient pays, 'cancelled' if nothing is owed, or 'overdue' when
-- due_on has passed unpaid (an overdue record lands on the person's file).

-- 先医后付 terms the department (wjw) sets: how many days a patient has to pay a charged bill.
CREATE TABLE pay_later_terms (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    due_days    integer NOT NULL CHECK (due_days BETWEEN 1 AND 90),
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pay_later_terms (due_days, updated_by) VALUES (15, 'migration');

-- One row per patient: the row every pre-authorisation of that patient locks (SELECT … FOR
-- UPDATE) before it adds up what the line already holds, so two hospitals pre-authorising at the
-- same moment cannot both spend the same yuan.
CREATE TABLE pay_later_accounts (
    person_id   text PRIMARY KEY REFERENCES app_accounts (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE pay_later_bill_seq;
CREATE TABLE pay_later_bills (
    id              text PRIMARY KEY DEFAULT 'B' || lpad(nextval('pay_later_bill_seq')::text, 10, '0'),
    person_id       text NOT NULL REFERENCES pay_later_accounts (person_id),
    hospital_id     text NOT NULL REFERENCES subjects (id),
    reference       text NOT NULL CHECK (length(reference) BETWEEN 1 AND 64),
    authorised_by   text NOT NULL,
    authorised_fen  bigint NOT NULL CHECK (authorised_fen > 0),
    billed_fen      bigint CHECK (billed_fen > 0 AND billed_fen <= authorised_fen),
    status          text NOT NULL DEFAULT 'authorised'
                    CHECK (status IN ('authorised', 'billed', 'overdue', 'settled', 'cancelled')),
    authorised_at   timestamptz NOT NULL DEFAULT now(),
    billed_on       date,
    due_on          date,
    settled_on      date,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (hospital_id, reference),
    CHECK (status NOT IN ('billed', 'overdue', 'settled')
           OR (billed_fen IS NOT NULL AND due_on IS NOT NULL))
);
CREATE INDEX pay_later_bills_open_idx ON pay_later_bills (person_id)
    WHERE status IN ('authorised', 'billed', 'overdue');
CREATE INDEX pay_later_bills_due_idx ON pay_later_bills (due_on) WHERE status = 'billed';
