-- The report window: from the first quarter with absence data to the as-of date. No day after the
-- as-of date exists for the pipeline; days before the window are never reported.
CREATE OR REPLACE TABLE core_report_window AS
SELECT
    CAST(date_trunc('quarter', min(a.from_date)) AS DATE) AS start_date,
    any_value(p.as_of) AS end_date
FROM stg_absences AS a, params AS p
WHERE a.from_date <= p.as_of;

-- One row per day in the window. workdays_through = working days from the window start up to and
-- including the day, so the working days in [a, b] are b.workdays_through - a.workdays_before:
-- every interval count is two lookups, never an expansion into days.
CREATE OR REPLACE TABLE core_calendar AS
WITH days AS (
    SELECT CAST(g.generate_series AS DATE) AS day
    FROM core_report_window AS w,
        generate_series(CAST(w.start_date AS TIMESTAMP), CAST(w.end_date AS TIMESTAMP),
            INTERVAL 1 DAY) AS g
),
flagged AS (
    SELECT
        d.day,
        isodow(d.day) <= 5 AND h.holiday_date IS NULL AS is_working_day,
        h.holiday_name
    FROM days AS d
    LEFT JOIN stg_holidays AS h ON h.holiday_date = d.day
)
SELECT
    day,
    year(day) AS year,
    quarter(day) AS quarter_no,
    CAST(year(day) AS VARCHAR) || 'K' || CAST(quarter(day) AS VARCHAR) AS quarter,
    is_working_day,
    holiday_name,
    CAST(sum(CAST(is_working_day AS INTEGER)) OVER (ORDER BY day) AS INTEGER) AS workdays_through,
    CAST(sum(CAST(is_working_day AS INTEGER)) OVER (ORDER BY day) AS INTEGER)
        - CAST(is_working_day AS INTEGER) AS workdays_before
FROM flagged;

CREATE OR REPLACE TABLE core_quarters AS
SELECT
    quarter,
    any_value(year) AS year,
    any_value(quarter_no) AS quarter_no,
    min(day) AS start_date,
    max(day) AS end_date,
    max(day) = CAST(date_trunc('quarter', min(day)) + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE)
        AS is_complete,
    count(*) FILTER (WHERE is_working_day) AS working_days
FROM core_calendar
GROUP BY quarter;
