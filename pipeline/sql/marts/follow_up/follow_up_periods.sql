-- The follow-up measures of the gevinstplan per period (quarter, year, year-to-date, rolling four
-- quarters, as in `periods`) and scope. Internal: indicator_status reads it.
--   self_certified_case_share  share (%) of the cases begun in the period that are only
--                              self-certified (Mandal's target: 90 %),
--   follow_up_on_time_pct      share (%) of the milestones due in the period, passed and judged,
--                              whose activity was registered on time; per milestone, and over
--                              all milestones (milestone_id empty). Only with the follow-up export.
-- Ratios of sums over the period's quarters, one decimal half up; masked when even the largest
-- quarter of the group has fewer persons than the threshold.
CREATE OR REPLACE TABLE follow_up_periods AS
WITH milestone_facts AS (
    SELECT
        CAST(year(due_date) AS VARCHAR) || 'K' || CAST(quarter(due_date) AS VARCHAR) AS quarter,
        unit_code, sector_code, milestone_id,
        count(*) FILTER (WHERE outcome = 'on_time') AS numerator,
        count(*) AS denominator
    FROM core_follow_up_milestones
    WHERE outcome IN ('on_time', 'late', 'missing') AND unit_code IS NOT NULL
    GROUP BY ALL
),
facts AS (
    SELECT
        CAST(year(case_from) AS VARCHAR) || 'K' || CAST(quarter(case_from) AS VARCHAR) AS quarter,
        unit_code, sector_code,
        'self_certified_case_share' AS measure,
        CAST(NULL AS VARCHAR) AS milestone_id,
        count(*) FILTER (WHERE is_self_certified_only) AS numerator,
        count(*) AS denominator
    FROM core_follow_up_cases
    WHERE unit_code IS NOT NULL
    GROUP BY ALL
    UNION ALL
    SELECT quarter, unit_code, sector_code, 'follow_up_on_time_pct', milestone_id,
        numerator, denominator
    FROM milestone_facts
    UNION ALL
    SELECT quarter, unit_code, sector_code, 'follow_up_on_time_pct', NULL,
        sum(numerator), sum(denominator)
    FROM milestone_facts
    GROUP BY quarter, unit_code, sector_code
),
scoped AS (
    -- summed per quarter and scope first: a quarter lies in several periods, and expanding the
    -- unit-level facts to the periods before summing them up to sectors and the municipality
    -- would multiply the rows to sum
    SELECT quarter, 'municipality' AS scope_level, 'Alle' AS scope_code, measure, milestone_id,
        sum(numerator) AS numerator, sum(denominator) AS denominator
    FROM facts
    GROUP BY quarter, measure, milestone_id
    UNION ALL
    SELECT quarter, 'sector', sector_code, measure, milestone_id, sum(numerator),
        sum(denominator)
    FROM facts
    GROUP BY quarter, sector_code, measure, milestone_id
    UNION ALL
    SELECT quarter, 'unit', unit_code, measure, milestone_id, sum(numerator), sum(denominator)
    FROM facts
    GROUP BY quarter, unit_code, measure, milestone_id
),
period_keys AS (
    -- each period as a small number: the sums below are grouped on it rather than on two texts
    SELECT quarter, dense_rank() OVER (ORDER BY period_type, period) AS period_key
    FROM periods
),
period_names AS (
    SELECT DISTINCT dense_rank() OVER (ORDER BY period_type, period) AS period_key,
        period_type, period
    FROM periods
),
summed AS (
    SELECT k.period_key, s.scope_level, s.scope_code, s.measure, s.milestone_id,
        sum(s.numerator) AS numerator, sum(s.denominator) AS denominator
    FROM scoped AS s
    JOIN period_keys AS k USING (quarter)
    GROUP BY ALL
),
sizes AS (
    SELECT k.period_key, f.scope_level, f.scope_code, max(f.persons) AS largest
    FROM follow_up_scopes AS f
    JOIN period_keys AS k USING (quarter)
    GROUP BY ALL
)
SELECT
    n.period_type,
    n.period,
    s.scope_level,
    s.scope_code,
    s.measure,
    s.milestone_id,
    CAST(CASE WHEN NOT masked THEN s.numerator END AS BIGINT) AS numerator,
    CAST(CASE WHEN NOT masked THEN s.denominator END AS BIGINT) AS denominator,
    CASE WHEN NOT masked THEN sick_leave_pct(s.numerator, s.denominator) END AS value,
    masked AS is_masked
FROM summed AS s
JOIN period_names AS n USING (period_key)
LEFT JOIN sizes AS z USING (period_key, scope_level, scope_code)
CROSS JOIN params AS p
CROSS JOIN LATERAL (SELECT coalesce(z.largest, 0) < p.mask_threshold AS masked) AS x;
