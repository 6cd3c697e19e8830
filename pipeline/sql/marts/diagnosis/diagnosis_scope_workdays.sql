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
-- Threshold for nav_reconciliation: params.reconciliation_threshold_pct (percent; set by
-- pipeline.diagnosis_marts, 10 by default).

-- Possible and Agresso's doctor-certified lost workdays for every scope a NAV file can name:
-- the whole municipality ('Alle'), a sector, an organisation number (the units that had it in
-- the quarter). Temporary: a step shared by the diagnosis marts, not a published table.
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
