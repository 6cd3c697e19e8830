-- Each scope's name: the municipality's from the run's settings, a sector's and a unit's the
-- latest the organisation file gives. Internal (never published).
CREATE OR REPLACE TABLE follow_up_scope_names AS
SELECT 'municipality' AS scope_level, 'Alle' AS scope_code,
    (SELECT municipality_name FROM params) AS scope_name
UNION ALL
SELECT 'sector', sector_code, arg_max(sector_name, valid_to) FROM core_units GROUP BY sector_code
UNION ALL
SELECT 'unit', unit_code, arg_max(unit_name, valid_to) FROM core_units GROUP BY unit_code;
