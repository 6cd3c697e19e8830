-- Diagnosis marts: NAV's doctor-certified lost workdays per diagnosis group (stg_nav_diagnosis)
-- set against the municipality's own possible workdays (core_fact_quarter) for the same scope and
-- quarter. Diagnosis data exists only as NAV's aggregates; nothing here is per person.
--
-- diagnosis_pct    = 100 x NAV lost workdays of the group / possible workdays of the scope:
--                    percentage points of the total rate ("max 0.7 % psychological").
-- doctor_share_pct = the group's share of NAV's doctor-certified total for the scope.
-- A masked NAV cell is known-unknown: the group's figures are empty and is_masked says why.
-- "Herav" rows are kept as their own rows (is_subgroup) and never added into any sum.
--
-- Needs, besides the core tables, diagnosis_groups (code and name of NAV's nine groups, loaded
-- from schemas/diagnosis_groups.yaml by pipeline.diagnosis_marts).
-- Threshold for nav_reconciliation: the variable reconciliation_threshold_pct (percent), 10
-- unless set (SET VARIABLE reconciliation_threshold_pct = 15).

-- Possible and Agresso's doctor-certified lost workdays for every scope a NAV file can name:
-- the whole municipality ('Alle'), a sector, an organisation number (the units that had it in
-- the quarter). Temporary: a step shared by the marts below, not a published table.
CREATE OR REPLACE TEMP TABLE diagnosis_scope_workdays AS
WITH
units AS (
    SELECT * FROM core_units
),
fact AS (
    SELECT * FROM core_fact_quarter
),
quarter_days AS (
    SELECT
        quarter,
        make_date(CAST(left(quarter, 4) AS INTEGER), 3 * CAST(right(quarter, 1) AS INTEGER) - 2, 1)
            AS start_date
    FROM (SELECT DISTINCT quarter FROM fact)
),
unit_org AS (
    SELECT DISTINCT q.quarter, u.unit_code, u.org_number
    FROM units AS u
    JOIN quarter_days AS q
        ON coalesce(u.valid_from, DATE '0001-01-01') < q.start_date + INTERVAL 3 MONTH
        AND coalesce(u.valid_to, DATE '9999-12-31') >= q.start_date
    WHERE u.org_number IS NOT NULL AND u.org_number <> ''
),
scoped_fact AS (
    SELECT 'municipality' AS scope_level, 'Alle' AS scope_code, f.* FROM fact AS f
    UNION ALL
    SELECT 'sector', f.sector_code, f.* FROM fact AS f
    UNION ALL
    SELECT 'orgnr', o.org_number, f.*
    FROM fact AS f JOIN unit_org AS o USING (quarter, unit_code)
),
scope_names AS (
    SELECT 'municipality' AS scope_level, 'Alle' AS scope_code,
        (SELECT municipality_name FROM params) AS scope_name
    UNION ALL
    SELECT 'sector', sector_code, arg_max(sector_name, coalesce(valid_from, DATE '0001-01-01'))
    FROM units GROUP BY ALL
    UNION ALL
    SELECT 'orgnr', org_number, arg_max(unit_name, coalesce(valid_from, DATE '0001-01-01'))
    FROM units WHERE org_number IS NOT NULL AND org_number <> '' GROUP BY ALL
),
sums AS (
    SELECT
        quarter,
        scope_level,
        scope_code,
        sum(possible_workdays) AS possible_workdays,
        sum(lost_workdays_doctor) AS lost_workdays_doctor
    FROM scoped_fact
    GROUP BY ALL
)
SELECT s.quarter, s.scope_level, s.scope_code, n.scope_name, s.possible_workdays,
    s.lost_workdays_doctor
FROM sums AS s
LEFT JOIN scope_names AS n USING (scope_level, scope_code);


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


-- NAV's doctor-certified total against Agresso's doctor-certified lost workdays for the same
-- scope and quarter. They measure the same absence from two registers; a large gap means a
-- missing export, a wrong scope or sick notes not registered in Agresso.
CREATE OR REPLACE TABLE nav_reconciliation AS
WITH
totals AS (
    SELECT DISTINCT quarter, scope_level, scope_code, scope_name, doctor_lost_workdays_nav
    FROM diagnosis_quarterly
),
scopes AS (
    SELECT * FROM diagnosis_scope_workdays
),
compared AS (
    SELECT
        t.quarter,
        t.scope_level,
        t.scope_code,
        t.scope_name,
        t.doctor_lost_workdays_nav,
        coalesce(s.lost_workdays_doctor, 0) AS lost_workdays_doctor_agresso,
        coalesce(s.lost_workdays_doctor, 0) - t.doctor_lost_workdays_nav AS difference,
        -- Rounded half away from zero, so +4.55 % and -4.55 % get the same size.
        sign(difference)
            * sick_leave_pct(abs(difference), t.doctor_lost_workdays_nav) AS difference_pct
    FROM totals AS t
    LEFT JOIN scopes AS s USING (quarter, scope_level, scope_code)
)
SELECT
    quarter,
    scope_level,
    scope_code,
    scope_name,
    doctor_lost_workdays_nav,
    CAST(lost_workdays_doctor_agresso AS DECIMAL(18, 6)) AS lost_workdays_doctor_agresso,
    CAST(difference AS DECIMAL(18, 6)) AS difference_workdays,
    difference_pct,
    doctor_lost_workdays_nav IS NULL AS is_masked,
    coalesce(
        abs(difference_pct) > coalesce(getvariable('reconciliation_threshold_pct'), 10),
        -- NAV has no doctor-certified days but Agresso does: no percentage, still a gap.
        doctor_lost_workdays_nav = 0 AND lost_workdays_doctor_agresso > 0,
        false
    ) AS is_flagged
FROM compared
ORDER BY quarter, scope_level, scope_code;
