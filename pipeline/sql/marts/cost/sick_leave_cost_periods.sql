-- What sick leave costs, in kroner, per period (quarter, year, year-to-date, rolling four
-- quarters) and scope. One row per row of sick_leave_periods, whose persons and masking it takes
-- as they are: a group hidden there is hidden here (salaries are personal data).
--   social costs        = pay lost x (arbeidsgiveravgift % + pension %)
--   employer-period cost = pay lost in employer periods x (1 + social costs %)
--   net cost            = pay lost x (1 + social costs %) - expected refund
--   refund gap          = expected - booked refunds over the period; flagged, for a complete
--                         period, when booked is below the configured share of expected (money
--                         possibly never claimed)
-- Booked figures are empty (unknown, not 0) when no accounts were delivered.
CREATE OR REPLACE TABLE sick_leave_cost_periods AS
WITH sums AS (
    -- back to 64-bit decimals (a sum widens to 38 digits; a municipality's year fits easily in
    -- 18): every figure below is then computed on 64-bit integers, several times faster
    SELECT
        p.period_type,
        p.period,
        c.scope_level,
        c.scope_code,
        CAST(sum(c.lost_workdays) AS DECIMAL(18, 8)) AS lost_workdays,
        CAST(sum(c.lost_workdays_known_pay) AS DECIMAL(18, 8)) AS lost_workdays_known_pay,
        CAST(sum(c.pay_lost) AS DECIMAL(18, 6)) AS pay_lost,
        CAST(sum(c.pay_lost_employer_period) AS DECIMAL(18, 6)) AS pay_lost_employer_period,
        CAST(sum(c.expected_refund) AS DECIMAL(18, 6)) AS expected_refund,
        CAST(sum(c.nav_estimate) AS DECIMAL(18, 6)) AS nav_estimate,
        CAST(sum(c.substitute_pay) AS DECIMAL(18, 6)) AS substitute_pay,
        CAST(sum(c.booked_refund) AS DECIMAL(18, 6)) AS booked_refund,
        -- exact sums of pay x rate, rounded once, to the øre they are published in (round,
        -- then the cast: the same half-away-from-zero rounding, twice as fast on 128-bit sums)
        CAST(round(sum(c.social_costs), 2) AS DECIMAL(18, 2)) AS social_costs,
        CAST(round(sum(c.employer_period_cost), 2) AS DECIMAL(18, 2)) AS employer_period_cost,
        CAST(round(sum(c.net_cost), 2) AS DECIMAL(18, 2)) AS net_cost
    FROM cost_quarter_sums AS c
    JOIN periods AS p USING (quarter)
    GROUP BY p.period_type, p.period, c.scope_level, c.scope_code
),
settings AS (
    SELECT
        refund_flag_share_pct * 0.01 AS flag_share,
        (SELECT count(*) > 0 FROM stg_accounts) AS has_accounts
    FROM params
),
figures AS (
    SELECT
        l.period_type,
        l.period,
        l.first_quarter,
        l.last_quarter,
        l.is_complete,
        l.scope_level,
        l.scope_code,
        l.scope_name,
        l.persons,
        l.is_masked,
        coalesce(s.lost_workdays, 0) AS lost_workdays,
        coalesce(s.lost_workdays_known_pay, 0) AS lost_workdays_known_pay,
        coalesce(s.pay_lost, 0) AS pay_lost,
        coalesce(s.social_costs, 0) AS social_costs,
        coalesce(s.employer_period_cost, 0) AS employer_period_cost,
        coalesce(s.expected_refund, 0) AS expected_refund,
        coalesce(s.net_cost, 0) AS net_cost,
        coalesce(s.nav_estimate, 0) AS nav_estimate,
        CASE WHEN t.has_accounts THEN coalesce(s.substitute_pay, 0) END AS substitute_pay,
        CASE WHEN t.has_accounts THEN coalesce(s.booked_refund, 0) END AS booked_refund,
        t.flag_share,
        -- lost workdays but no pay known: the money is unknown (empty), never 0
        l.is_masked OR (coalesce(s.lost_workdays, 0) > 0
            AND coalesce(s.lost_workdays_known_pay, 0) = 0) AS is_unpriced
    FROM sick_leave_periods AS l
    CROSS JOIN settings AS t
    LEFT JOIN sums AS s USING (period_type, period, scope_level, scope_code)
)
SELECT
    period_type,
    period,
    first_quarter,
    last_quarter,
    is_complete,
    scope_level,
    scope_code,
    scope_name,
    persons,
    CASE WHEN NOT is_masked THEN CAST(lost_workdays AS DECIMAL(20, 8)) END AS lost_workdays,
    CASE WHEN NOT is_masked THEN CAST(lost_workdays_known_pay AS DECIMAL(20, 8)) END
        AS lost_workdays_known_pay,
    CASE WHEN NOT is_masked THEN sick_leave_pct(lost_workdays_known_pay, lost_workdays) END
        AS pay_coverage_pct,
    CASE WHEN NOT is_unpriced THEN CAST(pay_lost AS DECIMAL(18, 2)) END AS pay_lost_kr,
    CASE WHEN NOT is_unpriced THEN CAST(employer_period_cost AS DECIMAL(18, 2)) END
        AS employer_period_cost_kr,
    CASE WHEN NOT is_unpriced THEN CAST(expected_refund AS DECIMAL(18, 2)) END
        AS expected_refund_kr,
    CASE WHEN NOT is_unpriced THEN CAST(social_costs AS DECIMAL(18, 2)) END AS social_costs_kr,
    CASE WHEN NOT is_unpriced THEN CAST(net_cost AS DECIMAL(18, 2)) END AS net_cost_kr,
    CASE WHEN NOT is_masked THEN CAST(nav_estimate AS DECIMAL(18, 2)) END AS nav_estimate_kr,
    CASE WHEN NOT is_masked THEN CAST(substitute_pay AS DECIMAL(18, 2)) END AS substitute_pay_kr,
    CASE WHEN NOT is_masked THEN CAST(booked_refund AS DECIMAL(18, 2)) END AS booked_refund_kr,
    CASE WHEN NOT is_unpriced THEN CAST(expected_refund - booked_refund AS DECIMAL(18, 2)) END
        AS refund_gap_kr,
    CASE WHEN NOT is_unpriced THEN sick_leave_pct(booked_refund, expected_refund) END
        AS refund_booked_pct,
    -- judged on whole periods only: a period missing quarters compares refunds booked late
    -- for days before the data with days whose refunds are not booked yet
    CASE WHEN NOT is_unpriced AND is_complete AND booked_refund IS NOT NULL
        AND expected_refund > 0
        THEN booked_refund < CAST(expected_refund AS DECIMAL(38, 6)) * flag_share
        ELSE false END AS is_refund_gap_flagged,
    is_masked
FROM figures;
