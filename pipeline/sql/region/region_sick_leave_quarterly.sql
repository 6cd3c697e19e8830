CREATE OR REPLACE TABLE region_sick_leave_quarterly AS
SELECT period AS quarter, * EXCLUDE (period_type, period, first_quarter, last_quarter)
FROM region_sick_leave_periods
WHERE period_type = 'quarter';
