-- The cost per quarter, unit and sector: lost workdays (all, and those whose cost is known), pay
-- lost, the part in employer periods, and the expected refund. Additive in every column, so any
-- scope and period is a sum over it (persons are counted by the sick-leave marts, from
-- core_fact_quarter).
--
-- Every lost workday costs lost workdays x Årslønn / 260, whoever pays it: that is priced here on
-- the lost workdays themselves (core_lost_pieces, the same pieces as the sick-leave marts, so the
-- lost workdays of the two agree to the last decimal). Only the days past the employer period
-- need the person's total pay, G and maksdato (core_cost_nav_pieces); the employer-period pay is
-- what is left: all pay lost less the pay lost on NAV's days.
--
-- Money is summed over known cost only: a lost workday whose Årslønn is unknown has no price,
-- and a refunded day whose refund is unknown (another employment's pay unknown, or no G) leaves
-- the covered part with its pay lost. Pay coverage says how much is covered. NAV's estimate needs
-- no pay: lost workdays x NAV's per-day figure for the year.
CREATE OR REPLACE TABLE core_cost_unit_quarter AS
WITH all_days AS (
    -- lost workdays x Årslønn is exact in decimals; it is divided by 260 once per unit and
    -- quarter, so pay lost does not depend on how the days were cut into pieces
    SELECT
        l.quarter,
        l.unit_code,
        l.sector_code,
        sum(l.lost_self + l.lost_doctor) AS lost_workdays,
        coalesce(sum(l.lost_self + l.lost_doctor) FILTER (WHERE e.annual_pay IS NOT NULL), 0)
            AS lost_workdays_known_pay,
        coalesce(sum((l.lost_self + l.lost_doctor) * e.annual_pay), 0) AS pay_x260
    FROM core_lost_pieces AS l
    JOIN stg_employments AS e USING (employment_id)
    GROUP BY l.quarter, l.unit_code, l.sector_code
),
nav_days AS (
    SELECT
        quarter,
        unit_code,
        sector_code,
        coalesce(sum(lost_workdays * annual_pay) FILTER (WHERE is_known), 0) AS known_x260,
        -- pay known, refund not: out of the covered part
        coalesce(sum(lost_workdays) FILTER (WHERE annual_pay IS NOT NULL AND NOT is_known), 0)
            AS lost_workdays_uncovered,
        coalesce(sum(lost_workdays * annual_pay)
            FILTER (WHERE annual_pay IS NOT NULL AND NOT is_known), 0) AS uncovered_x260,
        coalesce(sum(expected_refund) FILTER (WHERE is_known), 0) AS expected_refund
    FROM core_cost_nav_pieces
    GROUP BY quarter, unit_code, sector_code
),
summed AS (
    SELECT
        a.quarter,
        a.unit_code,
        a.sector_code,
        a.lost_workdays,
        a.lost_workdays_known_pay - coalesce(n.lost_workdays_uncovered, 0)
            AS lost_workdays_known_pay,
        (a.pay_x260 - coalesce(n.uncovered_x260, 0)) / 260 AS pay_lost,
        (a.pay_x260 - coalesce(n.uncovered_x260, 0) - coalesce(n.known_x260, 0)) / 260
            AS pay_lost_employer_period,
        coalesce(n.expected_refund, 0) AS expected_refund
    FROM all_days AS a
    LEFT JOIN nav_days AS n USING (quarter, unit_code, sector_code)
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
