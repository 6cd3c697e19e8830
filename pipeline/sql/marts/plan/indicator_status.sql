-- indicator_status: every indicator of the gevinstplan in every reporting period, with its value,
-- the target of the period's year, and whether the target is met.
--
-- Inputs: plan_indicators and plan_targets (from plan.yaml), sick_leave_periods (the engine's
-- rates per period and scope), and the temporary views indicator_input_diagnosis and
-- indicator_input_manual, which stand in for diagnosis_periods and manual_measurements (empty
-- when the warehouse has none yet), indicator_input_cost (the amounts in kroner from
-- sick_leave_cost_periods, one row per measure), indicator_input_follow_up (follow_up_periods)
-- and params (as_of_quarter, mask_threshold).
--
-- Rules:
-- * A year's target applies to every period whose last quarter lies in that year.
-- * Status, first match wins: masked (the group is too small to show), no data, no target,
--   met (max: value <= target; min: value >= target), not met.
-- * A manual indicator's «hittil i år» is the value typed for the year (see from_manual).
-- * Trend = value minus the value of the same period a year earlier (2014K2 against 2013K2).
--   A computed annual figure is only compared when both years are complete: a part of a year
--   against a whole one says nothing, and year-to-date already answers that question.
CREATE OR REPLACE TABLE indicator_status AS
WITH
engine_periods AS (
    SELECT
        period_type,
        period,
        min(first_quarter) AS first_quarter,
        max(last_quarter) AS last_quarter,
        bool_and(is_complete) AS is_complete
    FROM sick_leave_periods
    GROUP BY period_type, period
),

-- A manual measurement in a period the sick-leave data does not cover (a survey in a year
-- before the first absence export) still gets its row, so no typed-in value is lost.
manual_only_periods AS (
    SELECT DISTINCT
        m.period_type,
        m.period,
        CASE WHEN m.period_type = 'year' THEN m.period || 'K1' ELSE m.period END AS first_quarter,
        CASE WHEN m.period_type = 'year' THEN m.period || 'K4' ELSE m.period END AS last_quarter,
        CAST(NULL AS BOOLEAN) AS is_complete
    FROM indicator_input_manual AS m
    ANTI JOIN engine_periods AS e USING (period_type, period)
),

-- Nothing after the as-of quarter: a quarter, year-to-date or rolling period is named by its
-- last quarter, a year by itself.
periods AS (
    SELECT *
    FROM (SELECT * FROM engine_periods UNION ALL SELECT * FROM manual_only_periods)
    WHERE CASE
        WHEN period_type = 'year' THEN period <= substr((SELECT as_of_quarter FROM params), 1, 4)
        ELSE period <= (SELECT as_of_quarter FROM params)
    END
),

-- Measured values, one row per indicator and period at most.
from_sick_leave AS (
    SELECT
        i.indicator_id,
        s.period_type,
        s.period,
        CASE i.measure
            WHEN 'sick_leave_pct' THEN s.sick_leave_pct
            WHEN 'self_certified_pct' THEN s.self_certified_pct
            WHEN 'doctor_certified_pct' THEN s.doctor_certified_pct
            WHEN 'short_term_pct' THEN s.short_term_pct
            WHEN 'long_term_pct' THEN s.long_term_pct
        END AS value,
        s.is_masked
    FROM plan_indicators AS i
    JOIN sick_leave_periods AS s
        ON s.scope_level = i.scope_level AND s.scope_code = i.scope_code
    WHERE i.measure IN (
        'sick_leave_pct', 'self_certified_pct', 'doctor_certified_pct',
        'short_term_pct', 'long_term_pct'
    )
),

from_diagnosis AS (
    SELECT i.indicator_id, d.period_type, d.period, d.diagnosis_pct AS value, d.is_masked
    FROM plan_indicators AS i
    JOIN indicator_input_diagnosis AS d
        ON d.scope_level = i.scope_level
        AND d.scope_code = i.scope_code
        AND d.diagnosis_group = i.diagnosis_group
    WHERE i.measure = 'diagnosis_pct'
),

-- Measures in kroner (sick_leave_cost_periods, through the view indicator_input_cost): the
-- period's amount, or with a base year its reduction from the base year: a quarter and a
-- year-to-date against the same of the base year, a year and rolling four quarters against the
-- base year's whole year (the seed's «redusert med 1 mill. kr. pr. år»), both periods complete.
from_cost AS (
    SELECT
        i.indicator_id,
        c.period_type,
        c.period,
        CASE
            WHEN i.baseline_year IS NULL THEN c.amount
            -- a part of a period against a whole one says nothing: both must be complete
            WHEN c.is_complete AND b.is_complete THEN b.amount - c.amount
        END AS value,
        c.is_masked OR coalesce(b.is_masked, FALSE) AS is_masked
    FROM plan_indicators AS i
    JOIN indicator_input_cost AS c
        ON c.scope_level = i.scope_level AND c.scope_code = i.scope_code AND c.measure = i.measure
    LEFT JOIN indicator_input_cost AS b
        ON b.scope_level = c.scope_level
        AND b.scope_code = c.scope_code
        AND b.measure = c.measure
        AND b.period_type = CASE
            WHEN c.period_type IN ('year', 'rolling_four_quarters') THEN 'year'
            ELSE c.period_type
        END
        AND b.period = CASE
            WHEN c.period_type IN ('year', 'rolling_four_quarters')
                THEN CAST(i.baseline_year AS VARCHAR)
            ELSE CAST(i.baseline_year AS VARCHAR) || substr(c.period, 5)
        END
    WHERE i.measure IN ('sick_leave_cost_kr', 'substitute_cost_kr', 'refund_gap_kr')
),

-- The follow-up measures (pipeline/sql/marts/follow_up/follow_up_periods.sql): Mandal's share of
-- cases that are only self-certified, and the share of milestones followed up on time (one
-- milestone, or all of them when the indicator names none).
from_follow_up AS (
    SELECT i.indicator_id, f.period_type, f.period, f.value, f.is_masked
    FROM plan_indicators AS i
    JOIN indicator_input_follow_up AS f
        ON f.scope_level = i.scope_level
        AND f.scope_code = i.scope_code
        AND f.measure = i.measure
        AND f.milestone_id IS NOT DISTINCT FROM i.milestone_id
    WHERE i.measure IN ('self_certified_case_share', 'follow_up_on_time_pct')
),

-- A value typed for a year is also the year's «hittil i år» in each of its quarters: HR types
-- the year's figure so far (a survey score, the share of rounds done, a running count), which no
-- rule could derive from quarter values of every kind of indicator.
from_manual AS (
    SELECT i.indicator_id, m.period_type, m.period, m.value, FALSE AS is_masked
    FROM plan_indicators AS i
    JOIN indicator_input_manual AS m USING (indicator_id)
    WHERE i.measure = 'manual'
    UNION ALL
    SELECT i.indicator_id, p.period_type, p.period, m.value, FALSE AS is_masked
    FROM plan_indicators AS i
    JOIN indicator_input_manual AS m USING (indicator_id)
    JOIN periods AS p ON p.period_type = 'year_to_date' AND substr(p.period, 1, 4) = m.period
    WHERE i.measure = 'manual' AND m.period_type = 'year'
),

measured AS (
    SELECT indicator_id, period_type, period,
        CAST(value AS DECIMAL(18, 1)) AS value, coalesce(is_masked, FALSE) AS is_masked
    FROM (
        SELECT * FROM from_sick_leave
        UNION ALL
        SELECT * FROM from_diagnosis
        UNION ALL
        SELECT * FROM from_cost
        UNION ALL
        SELECT * FROM from_follow_up
        UNION ALL
        SELECT * FROM from_manual
    )
),

scope_names AS (
    SELECT scope_level, scope_code, arg_max(scope_name, last_quarter) AS scope_name
    FROM sick_leave_periods
    GROUP BY scope_level, scope_code
),

grid AS (
    SELECT
        i.sort_order,
        i.indicator_id,
        i.name,
        i.measure,
        i.diagnosis_group,
        i.scope_level,
        i.scope_code,
        n.scope_name,
        i.direction,
        i.unit,
        p.period_type,
        p.period,
        p.first_quarter,
        p.last_quarter,
        p.is_complete,
        CAST(substr(p.last_quarter, 1, 4) AS INTEGER) AS year,
        m.value,
        coalesce(m.is_masked, FALSE) AS is_masked,
        -- a yearly target in kroner is a sum over the year: a quarter gets a fourth of it, a
        -- year-to-date its quarters' share
        CAST(CASE
            WHEN i.measure NOT IN ('sick_leave_cost_kr', 'substitute_cost_kr', 'refund_gap_kr')
                THEN t.target
            WHEN p.period_type = 'quarter' THEN t.target / 4
            WHEN p.period_type = 'year_to_date'
                THEN t.target * CAST(substr(p.period, 6, 1) AS INTEGER) / 4
            ELSE t.target
        END AS DECIMAL(18, 1)) AS target
    FROM plan_indicators AS i
    CROSS JOIN periods AS p
    LEFT JOIN scope_names AS n USING (scope_level, scope_code)
    LEFT JOIN measured AS m
        ON m.indicator_id = i.indicator_id
        AND m.period_type = p.period_type
        AND m.period = p.period
    LEFT JOIN plan_targets AS t
        ON t.indicator_id = i.indicator_id
        AND t.year = CAST(substr(p.last_quarter, 1, 4) AS INTEGER)
),

judged AS (
    SELECT
        *,
        CASE
            WHEN is_masked THEN 'masked'
            WHEN value IS NULL THEN 'no_data'
            WHEN target IS NULL THEN 'no_target'
            WHEN direction = 'max' AND value <= target THEN 'met'
            WHEN direction = 'min' AND value >= target THEN 'met'
            ELSE 'not_met'
        END AS status,
        -- The same period a year earlier: 2014K2 -> 2013K2, 2014 -> 2013.
        CAST(CAST(substr(period, 1, 4) AS INTEGER) - 1 AS VARCHAR) || substr(period, 5)
            AS previous_period
    FROM grid
)

SELECT
    cur.indicator_id,
    cur.name,
    cur.period_type,
    cur.period,
    CASE cur.period_type
        WHEN 'quarter' THEN substr(cur.period, 6, 1) || '. kv. ' || substr(cur.period, 1, 4)
        WHEN 'year' THEN cur.period
        WHEN 'year_to_date' THEN 'Hittil i år til ' || substr(cur.period, 6, 1) || '. kv. '
            || substr(cur.period, 1, 4)
        WHEN 'rolling_four_quarters' THEN 'Siste fire kvartaler til '
            || substr(cur.period, 6, 1) || '. kv. ' || substr(cur.period, 1, 4)
    END AS period_label,
    cur.first_quarter,
    cur.last_quarter,
    cur.is_complete,
    cur.year,
    cur.measure,
    cur.diagnosis_group,
    cur.scope_level,
    cur.scope_code,
    cur.scope_name,
    cur.unit,
    cur.value,
    cur.target,
    cur.direction,
    cur.status,
    CASE cur.status
        WHEN 'met' THEN 'Nådd'
        WHEN 'not_met' THEN 'Ikke nådd'
        WHEN 'no_target' THEN 'Mål ikke satt'
        WHEN 'no_data' THEN 'Ingen data'
        WHEN 'masked' THEN
            'Skjult (færre enn ' || (SELECT mask_threshold FROM params) || ')'
    END AS status_label,
    CAST(cur.value - cur.target AS DECIMAL(18, 1)) AS distance_to_target,
    CAST(
        CASE
            WHEN cur.period_type = 'year' AND cur.measure <> 'manual'
                AND NOT (coalesce(cur.is_complete, FALSE) AND coalesce(prev.is_complete, FALSE))
                THEN NULL
            ELSE cur.value - prev.value
        END AS DECIMAL(18, 1)
    ) AS trend,
    cur.sort_order
FROM judged AS cur
LEFT JOIN judged AS prev
    ON prev.indicator_id = cur.indicator_id
    AND prev.period_type = cur.period_type
    AND prev.period = cur.previous_period
    AND NOT prev.is_masked
ORDER BY cur.sort_order, cur.period_type, cur.period;
