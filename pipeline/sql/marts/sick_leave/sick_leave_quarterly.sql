CREATE OR REPLACE TABLE sick_leave_quarterly AS
SELECT
    period AS quarter,
    is_complete,
    scope_level,
    scope_code,
    scope_name,
    persons,
    possible_workdays,
    lost_workdays,
    lost_workdays_self,
    lost_workdays_doctor,
    lost_workdays_short,
    lost_workdays_long,
    lost_workdays_graded,
    sick_leave_pct,
    self_certified_pct,
    doctor_certified_pct,
    short_term_pct,
    long_term_pct,
    graded_share_pct,
    is_masked
FROM sick_leave_periods
WHERE period_type = 'quarter';
