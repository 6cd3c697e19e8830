-- The person-level fact everything is aggregated from: one row per quarter, person, unit and
-- sector, with possible and lost workdays split every way the marts need. Additive in every
-- column, so any period or scope is a sum over it (ratios of sums, never averages of ratios).
-- DECIMAL(18, 8) (64-bit) holds any person's quarter (at most ~66 workdays per employment) with
-- room to spare and costs half of DECIMAL(20, 8) (128-bit) to write; sums widen on their own.
CREATE OR REPLACE TABLE core_fact_quarter AS
WITH possible AS (
    SELECT quarter, person_id, unit_code, sector_code, sum(possible_workdays) AS possible_workdays
    FROM core_employment_pieces
    GROUP BY ALL
),
lost AS (
    SELECT
        quarter,
        person_id,
        unit_code,
        sector_code,
        sum(lost_self) AS lost_workdays_self,
        sum(lost_doctor) AS lost_workdays_doctor,
        sum(lost_self + lost_doctor) FILTER (WHERE NOT is_long_term) AS lost_workdays_short,
        sum(lost_self + lost_doctor) FILTER (WHERE is_long_term) AS lost_workdays_long,
        sum(lost_doctor) FILTER (WHERE is_graded) AS lost_workdays_graded
    FROM core_lost_pieces
    GROUP BY ALL
)
SELECT
    p.quarter,
    p.person_id,
    p.unit_code,
    p.sector_code,
    CAST(p.possible_workdays AS DECIMAL(18, 8)) AS possible_workdays,
    CAST(coalesce(l.lost_workdays_self, 0) + coalesce(l.lost_workdays_doctor, 0)
        AS DECIMAL(18, 8)) AS lost_workdays,
    CAST(coalesce(l.lost_workdays_self, 0) AS DECIMAL(18, 8)) AS lost_workdays_self,
    CAST(coalesce(l.lost_workdays_doctor, 0) AS DECIMAL(18, 8)) AS lost_workdays_doctor,
    CAST(coalesce(l.lost_workdays_short, 0) AS DECIMAL(18, 8)) AS lost_workdays_short,
    CAST(coalesce(l.lost_workdays_long, 0) AS DECIMAL(18, 8)) AS lost_workdays_long,
    CAST(coalesce(l.lost_workdays_graded, 0) AS DECIMAL(18, 8)) AS lost_workdays_graded
FROM possible AS p
LEFT JOIN lost AS l USING (quarter, person_id, unit_code, sector_code);
