-- Days from the report window's start to a month after the as-of date, each with whether it is a
-- working day and the first working day on or after it: a milestone that falls due on a
-- weekend or a public holiday is told to the leader, and its deadline is, that next working day.
CREATE OR REPLACE TABLE core_follow_up_days AS
WITH days AS (
    SELECT CAST(g.generate_series AS DATE) AS day
    FROM core_report_window AS w, params AS p,
        generate_series(CAST(w.start_date AS TIMESTAMP), CAST(p.as_of + 31 AS TIMESTAMP),
            INTERVAL 1 DAY) AS g
),
holidays AS (
    SELECT holiday_date FROM stg_holidays
    UNION
    SELECT holiday_date FROM stg_follow_up_holidays
),
flagged AS (
    SELECT d.day, isodow(d.day) <= 5 AND h.holiday_date IS NULL AS is_working_day
    FROM days AS d
    LEFT JOIN holidays AS h ON h.holiday_date = d.day
)
SELECT
    day,
    is_working_day,
    min(CASE WHEN is_working_day THEN day END)
        OVER (ORDER BY day ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_working_day
FROM flagged;
