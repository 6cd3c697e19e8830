-- The unmasked sums per scope and quarter. Kept in the internal database (never published): the
-- data tests check on them that units add up to sectors and sectors to the municipality before
-- any group is masked (schemas/warehouse_tests.yaml).
CREATE OR REPLACE TABLE mart_quarter_sums AS
SELECT 'municipality' AS scope_level, 'Alle' AS scope_code, quarter,
    sum(possible_workdays) AS possible_workdays,
    sum(lost_workdays) AS lost_workdays,
    sum(lost_workdays_self) AS lost_workdays_self,
    sum(lost_workdays_doctor) AS lost_workdays_doctor,
    sum(lost_workdays_short) AS lost_workdays_short,
    sum(lost_workdays_long) AS lost_workdays_long,
    sum(lost_workdays_graded) AS lost_workdays_graded
FROM core_fact_quarter GROUP BY quarter
UNION ALL
SELECT 'sector', sector_code, quarter, sum(possible_workdays), sum(lost_workdays),
    sum(lost_workdays_self), sum(lost_workdays_doctor), sum(lost_workdays_short),
    sum(lost_workdays_long), sum(lost_workdays_graded)
FROM core_fact_quarter GROUP BY sector_code, quarter
UNION ALL
SELECT 'unit', unit_code, quarter, sum(possible_workdays), sum(lost_workdays),
    sum(lost_workdays_self), sum(lost_workdays_doctor), sum(lost_workdays_short),
    sum(lost_workdays_long), sum(lost_workdays_graded)
FROM core_fact_quarter GROUP BY unit_code, quarter;
