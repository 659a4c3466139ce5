-- A department's public telephone (咨询电话), shown on the 诚信码 scan page next to its name so a
-- consumer can ask or complain; NULL until the department sets it (`xinyi-api department add
-- CODE --name … --phone …`).
ALTER TABLE departments
    ADD COLUMN phone text CHECK (phone ~ '^[0-9][0-9-]{2,19}$');
