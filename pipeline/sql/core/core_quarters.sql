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
