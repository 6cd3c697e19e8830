-- The unmasked cost sums per scope (municipality, sector, unit) and quarter: the cost per unit
-- and quarter and the booked accounts, both additive. Kept in the internal database (never
-- published); the data tests check on it that units add up to sectors and sectors to the
-- municipality before any group is masked.
CREATE OR REPLACE TABLE cost_quarter_sums AS
WITH rates AS (
    -- x 0.01, not / 100: DuckDB divides decimals in floating point, and the cost is meant to the
    -- øre (the same pay and rate always give the same kroner)
    SELECT (employer_tax_pct + pension_pct) * 0.01 AS social_rate FROM params
),
fact AS (
    SELECT
        quarter, unit_code, sector_code, lost_workdays, lost_workdays_known_pay, pay_lost,
        pay_lost_employer_period, expected_refund, nav_estimate,
        CAST(0 AS DECIMAL(18, 2)) AS substitute_pay, CAST(0 AS DECIMAL(18, 2)) AS booked_refund,
        -- social costs, employer-period cost and net cost are linear in pay: computed exactly
        -- here, on units and quarters, they add up to any scope and period without rounding
        CAST(pay_lost AS DECIMAL(38, 6)) * r.social_rate AS social_costs,
        CAST(pay_lost_employer_period AS DECIMAL(38, 6)) * (1 + r.social_rate)
            AS employer_period_cost,
        CAST(pay_lost AS DECIMAL(38, 6)) * (1 + r.social_rate) - expected_refund AS net_cost
    FROM core_cost_unit_quarter
    CROSS JOIN rates AS r
    UNION ALL
    SELECT quarter, unit_code, sector_code, 0, 0, 0, 0, 0, 0, substitute_pay, booked_refund, 0, 0, 0
    FROM core_accounts_quarter
    -- the scopes are those of the sick-leave marts: a unit booked in a quarter where nobody is
    -- employed there has no row to show its amounts on, so they count nowhere (not in its
    -- sector or the municipality either: the levels add up)
    WHERE (quarter, unit_code, sector_code) IN (
        SELECT (quarter, unit_code, sector_code) FROM core_fact_quarter
    )
),
scoped AS (
    SELECT 'municipality' AS scope_level, 'Alle' AS scope_code, * EXCLUDE (unit_code, sector_code)
    FROM fact
    UNION ALL
    SELECT 'sector', sector_code, * EXCLUDE (unit_code, sector_code) FROM fact
    UNION ALL
    SELECT 'unit', unit_code, * EXCLUDE (unit_code, sector_code) FROM fact
)
SELECT
    scope_level,
    scope_code,
    quarter,
    sum(lost_workdays) AS lost_workdays,
    sum(lost_workdays_known_pay) AS lost_workdays_known_pay,
    sum(pay_lost) AS pay_lost,
    sum(pay_lost_employer_period) AS pay_lost_employer_period,
    sum(expected_refund) AS expected_refund,
    sum(nav_estimate) AS nav_estimate,
    sum(substitute_pay) AS substitute_pay,
    sum(booked_refund) AS booked_refund,
    sum(social_costs) AS social_costs,
    sum(employer_period_cost) AS employer_period_cost,
    sum(net_cost) AS net_cost
FROM scoped
GROUP BY scope_level, scope_code, quarter;
