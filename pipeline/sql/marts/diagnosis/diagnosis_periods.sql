-- The same per period (year, year to date, rolling four quarters, quarter): sums over the
-- quarters of the period in which NAV gave the group, possible workdays over the same quarters
-- (a ratio of sums, never an average of percentages). Masked when any of its quarters is.
CREATE OR REPLACE TABLE diagnosis_periods AS
WITH
quarterly AS (
    SELECT * FROM diagnosis_quarterly
),
periods_in AS (
    SELECT period_type, period, quarter FROM periods
),
sums AS (
    SELECT
        p.period_type,
        p.period,
        min(q.quarter) AS first_quarter,
        max(q.quarter) AS last_quarter,
        count(*) AS quarters,
        q.scope_level,
        q.scope_code,
        any_value(q.scope_name) AS scope_name,
        q.diagnosis_group,
        any_value(q.diagnosis_name) AS diagnosis_name,
        q.diagnosis_subgroup,
        q.is_subgroup,
        bool_or(q.is_masked) AS is_masked,
        CASE WHEN bool_or(q.lost_workdays IS NULL) THEN NULL ELSE sum(q.lost_workdays) END
            AS lost_workdays,
        CASE WHEN bool_or(q.cases IS NULL) THEN NULL ELSE sum(q.cases) END AS cases,
        CASE WHEN bool_or(q.possible_workdays IS NULL) THEN NULL
            ELSE sum(q.possible_workdays) END AS possible_workdays,
        CASE WHEN bool_or(q.doctor_lost_workdays_nav IS NULL) THEN NULL
            ELSE sum(q.doctor_lost_workdays_nav) END AS doctor_lost_workdays_nav
    FROM quarterly AS q
    JOIN periods_in AS p USING (quarter)
    GROUP BY p.period_type, p.period, q.scope_level, q.scope_code, q.diagnosis_group,
        q.diagnosis_subgroup, q.is_subgroup
)
SELECT
    period_type,
    period,
    first_quarter,
    last_quarter,
    quarters,
    scope_level,
    scope_code,
    scope_name,
    diagnosis_group,
    diagnosis_name,
    diagnosis_subgroup,
    is_subgroup,
    CASE WHEN is_masked THEN NULL ELSE CAST(lost_workdays AS DECIMAL(18, 6)) END AS lost_workdays,
    CASE WHEN is_masked THEN NULL ELSE cases END AS cases,
    CAST(possible_workdays AS DECIMAL(18, 6)) AS possible_workdays,
    CAST(doctor_lost_workdays_nav AS DECIMAL(18, 6)) AS doctor_lost_workdays_nav,
    CASE WHEN is_masked THEN NULL ELSE sick_leave_pct(lost_workdays, possible_workdays) END
        AS diagnosis_pct,
    CASE WHEN is_masked THEN NULL
        ELSE sick_leave_pct(lost_workdays, doctor_lost_workdays_nav) END AS doctor_share_pct,
    is_masked
FROM sums
JOIN (SELECT diagnosis_group, sort_order FROM diagnosis_groups) AS gn USING (diagnosis_group)
ORDER BY period_type, period, scope_level, scope_code, gn.sort_order, is_subgroup,
    diagnosis_subgroup;
