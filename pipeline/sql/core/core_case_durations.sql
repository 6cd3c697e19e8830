-- NAV's duration bands, and the short/long split, from the case's duration.
CREATE OR REPLACE TABLE core_case_durations AS
SELECT
    *,
    duration_days > 16 AS is_long_term,
    CASE
        WHEN duration_days <= 7 THEN 'A'
        WHEN duration_days <= 16 THEN 'B'
        WHEN duration_days <= 56 THEN 'C'
        WHEN duration_days <= 140 THEN 'D'
        WHEN duration_days <= 273 THEN 'E'
        ELSE 'F'
    END AS duration_band
FROM core_cases;
