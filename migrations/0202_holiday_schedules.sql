-- Holiday schedules loaded by an operator (xinyi-api holidays load FILE), one row per year.
--
-- The working-day calendar of objection and repair deadlines shipped as a file covering 2025
-- and 2026 only; from January 2027 every deadline silently skipped weekends alone. When the
-- State Council publishes a year's 部分节假日安排 (usually in November) an operator loads it
-- here, and every worker uses it for the next deadline it computes (it reads this table; the
-- loader also moves the due dates of open objections and pending repairs). A year here replaces
-- the same year of the shipped file. `holidays` has the file's format:
-- [{"name": "春节", "off": ["2027-02-05", "2027-02-11"], "make_up_workdays": ["2027-02-14"]}, …]
CREATE TABLE holiday_schedules (
    year       integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    notice     text NOT NULL CHECK (length(notice) BETWEEN 1 AND 500),
    holidays   jsonb NOT NULL CHECK (jsonb_typeof(holidays) = 'array'),
    loaded_by  text NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);
