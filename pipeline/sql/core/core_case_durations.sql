-- NAV's duration bands, and the short/long split, from the case's duration: the bands are the
-- code table stg_duration_bands (schemas/duration_bands.yaml), one home for both rules.
CREATE OR REPLACE TABLE core_case_durations AS
SELECT
    c.*,
    b.is_long_term,
    b.code AS duration_band
FROM core_cases AS c
JOIN stg_duration_bands AS b
    ON c.duration_days >= b.from_day
    AND (b.to_day IS NULL OR c.duration_days <= b.to_day);
