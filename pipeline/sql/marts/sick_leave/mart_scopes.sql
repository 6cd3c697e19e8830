CREATE OR REPLACE TEMP TABLE mart_scopes AS
SELECT scope_level, scope_code, row_number() OVER () AS scope_id
FROM (
    SELECT 'municipality' AS scope_level, 'Alle' AS scope_code
    UNION ALL
    SELECT DISTINCT 'sector', sector_code FROM core_fact_quarter
    UNION ALL
    SELECT DISTINCT 'unit', unit_code FROM core_fact_quarter
);
