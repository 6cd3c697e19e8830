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
