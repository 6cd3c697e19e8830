-- The report window: from the first quarter with absence data to the as-of date. No day after the
-- as-of date exists for the pipeline; days before the window are never reported.
CREATE OR REPLACE TABLE core_report_window AS
SELECT
    CAST(date_trunc('quarter', min(a.from_date)) AS DATE) AS start_date,
    any_value(p.as_of) AS end_date
FROM stg_absences AS a, params AS p
WHERE a.from_date <= p.as_of;
