-- Employments clipped to the report window; an open employment runs to the as-of date.
CREATE OR REPLACE TABLE core_employments AS
SELECT
    e.employment_id,
    p.person_id,
    e.unit_code,
    CAST(e.position_pct * 0.01 AS DECIMAL(18, 8)) AS position_share,
    greatest(e.from_date, w.start_date) AS eff_from,
    least(coalesce(e.to_date, w.end_date), w.end_date) AS eff_to
FROM stg_employments AS e
JOIN core_persons AS p USING (person_key)
CROSS JOIN core_report_window AS w
WHERE greatest(e.from_date, w.start_date) <= least(coalesce(e.to_date, w.end_date), w.end_date);
