CREATE OR REPLACE TABLE diagnosis_quarterly AS
WITH
nav AS (
    SELECT * FROM stg_nav_diagnosis
),
scopes AS (
    SELECT * FROM diagnosis_scope_workdays
),
group_names AS (
    SELECT diagnosis_group, diagnosis_name, sort_order FROM diagnosis_groups
),

-- NAV's rows per group (chapter letters of "Andre lidelser" summed); a masked or empty part
-- makes the group's figure unknown.
nav_groups AS (
    SELECT
        quarter,
        scope_kind AS scope_level,
        scope_code,
        diagnosis_group,
        diagnosis_subgroup,
        is_subgroup,
        CASE WHEN bool_or(lost_workdays IS NULL) THEN NULL
            ELSE sum(CAST(lost_workdays AS DECIMAL(18, 6))) END AS lost_workdays,
        CASE WHEN bool_or(cases IS NULL) THEN NULL ELSE sum(cases) END AS cases,
        bool_or(is_masked) AS is_masked
    FROM nav
    WHERE diagnosis_group IS NOT NULL
    GROUP BY ALL
),
-- NAV's doctor-certified total: the "I alt" row where given, else the nine groups when all known.
nav_totals AS (
    SELECT
        coalesce(t.quarter, g.quarter) AS quarter,
        coalesce(t.scope_level, g.scope_level) AS scope_level,
        coalesce(t.scope_code, g.scope_code) AS scope_code,
        CASE WHEN t.quarter IS NOT NULL THEN t.lost_workdays ELSE g.lost_workdays END
            AS doctor_lost_workdays_nav,
        CASE WHEN t.quarter IS NOT NULL THEN t.is_masked ELSE g.is_masked END AS is_total_masked
    FROM (
        SELECT quarter, scope_kind AS scope_level, scope_code,
            CAST(lost_workdays AS DECIMAL(18, 6)) AS lost_workdays, is_masked
        FROM nav WHERE diagnosis_group IS NULL
    ) AS t
    FULL JOIN (
        SELECT quarter, scope_level, scope_code,
            CASE WHEN bool_or(lost_workdays IS NULL) THEN NULL ELSE sum(lost_workdays) END
                AS lost_workdays,
            bool_or(is_masked) AS is_masked
        FROM nav_groups WHERE NOT is_subgroup
        GROUP BY ALL
    ) AS g USING (quarter, scope_level, scope_code)
)

SELECT
    g.quarter,
    g.scope_level,
    g.scope_code,
    coalesce(o.scope_name, g.scope_code) AS scope_name,
    g.diagnosis_group,
    gn.diagnosis_name,
    g.diagnosis_subgroup,
    g.is_subgroup,
    g.lost_workdays,
    g.cases,
    CAST(o.possible_workdays AS DECIMAL(18, 6)) AS possible_workdays,
    t.doctor_lost_workdays_nav,
    sick_leave_pct(g.lost_workdays, o.possible_workdays) AS diagnosis_pct,
    sick_leave_pct(g.lost_workdays, t.doctor_lost_workdays_nav) AS doctor_share_pct,
    g.is_masked
FROM nav_groups AS g
JOIN group_names AS gn USING (diagnosis_group)
LEFT JOIN nav_totals AS t USING (quarter, scope_level, scope_code)
LEFT JOIN scopes AS o USING (quarter, scope_level, scope_code)
ORDER BY g.quarter, g.scope_level, g.scope_code, gn.sort_order, g.is_subgroup,
    g.diagnosis_subgroup;
