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
        abs(difference_pct) > (SELECT reconciliation_threshold_pct FROM params),
        -- NAV has no doctor-certified days but Agresso does: no percentage, still a gap.
        doctor_lost_workdays_nav = 0 AND lost_workdays_doctor_agresso > 0,
        false
    ) AS is_flagged
FROM compared
ORDER BY quarter, scope_level, scope_code;
