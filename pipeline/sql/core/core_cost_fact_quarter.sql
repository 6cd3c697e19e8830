-- The person-level cost fact: one row per quarter, person, unit and sector with lost workdays
-- (all, and those whose cost is known), pay lost, the part in employer periods, and the expected
-- refund. Money is summed over pieces whose cost is known only; pay coverage says how much that is.
-- NAV's estimate needs no pay: lost workdays x NAV's per-day figure for the year.
CREATE OR REPLACE TABLE core_cost_fact_quarter AS
SELECT
    c.quarter,
    c.person_id,
    c.unit_code,
    c.sector_code,
    CAST(sum(c.lost_workdays) AS DECIMAL(18, 8)) AS lost_workdays,
    CAST(coalesce(sum(c.lost_workdays) FILTER (WHERE c.is_known), 0) AS DECIMAL(18, 8))
        AS lost_workdays_known_pay,
    CAST(coalesce(sum(c.pay_lost) FILTER (WHERE c.is_known), 0) AS DECIMAL(18, 6)) AS pay_lost,
    CAST(coalesce(sum(c.pay_lost) FILTER (WHERE c.is_known AND c.zone = 'employer'), 0)
        AS DECIMAL(18, 6)) AS pay_lost_employer_period,
    CAST(coalesce(sum(c.expected_refund) FILTER (WHERE c.is_known), 0) AS DECIMAL(18, 6))
        AS expected_refund,
    CAST(sum(c.lost_workdays) * any_value(coalesce(n.kr, p.nav_day_cost_default))
        AS DECIMAL(18, 6)) AS nav_estimate
FROM core_cost_pieces AS c
JOIN core_quarters AS q USING (quarter)
CROSS JOIN params AS p
LEFT JOIN stg_nav_day_cost AS n ON n.year = q.year
GROUP BY c.quarter, c.person_id, c.unit_code, c.sector_code;
