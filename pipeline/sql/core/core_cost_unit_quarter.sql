-- The cost per quarter, unit and sector, summed over the persons' cost pieces: lost workdays (all,
-- and those whose cost is known), pay lost, the part in employer periods, and the expected
-- refund. Money is summed over pieces whose cost is known only; pay coverage says how much that
-- is. NAV's estimate needs no pay: lost workdays x NAV's per-day figure for the year. Additive in
-- every column, so any scope and period is a sum over it (persons are counted by the sick-leave
-- marts, from core_fact_quarter).
CREATE OR REPLACE TABLE core_cost_unit_quarter AS
WITH summed AS (
    SELECT
        quarter,
        unit_code,
        sector_code,
        sum(lost_workdays) AS lost_workdays,
        coalesce(sum(lost_workdays) FILTER (WHERE is_known), 0) AS lost_workdays_known_pay,
        coalesce(sum(pay_lost) FILTER (WHERE is_known), 0) AS pay_lost,
        coalesce(sum(pay_lost) FILTER (WHERE is_known AND zone = 'employer'), 0)
            AS pay_lost_employer_period,
        coalesce(sum(expected_refund) FILTER (WHERE is_known), 0) AS expected_refund
    FROM core_cost_pieces
    GROUP BY quarter, unit_code, sector_code
)
SELECT
    s.quarter,
    s.unit_code,
    s.sector_code,
    CAST(s.lost_workdays AS DECIMAL(20, 8)) AS lost_workdays,
    CAST(s.lost_workdays_known_pay AS DECIMAL(20, 8)) AS lost_workdays_known_pay,
    CAST(s.pay_lost AS DECIMAL(20, 6)) AS pay_lost,
    CAST(s.pay_lost_employer_period AS DECIMAL(20, 6)) AS pay_lost_employer_period,
    CAST(s.expected_refund AS DECIMAL(20, 6)) AS expected_refund,
    CAST(s.lost_workdays * coalesce(n.kr, p.nav_day_cost_default) AS DECIMAL(20, 6))
        AS nav_estimate
FROM summed AS s
JOIN core_quarters AS q USING (quarter)
CROSS JOIN params AS p
LEFT JOIN stg_nav_day_cost AS n ON n.year = q.year;
