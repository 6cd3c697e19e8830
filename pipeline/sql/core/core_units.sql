-- Units with their sector for each stretch of time (reorganisations move units between sectors;
-- history is not rewritten). Open validity runs from the beginning / to the end of time.
CREATE OR REPLACE TABLE core_units AS
SELECT
    unit_code,
    unit_name,
    sector_code,
    sector_name,
    org_number,
    coalesce(valid_from, DATE '0001-01-01') AS valid_from,
    coalesce(valid_to, DATE '9999-12-31') AS valid_to
FROM stg_organisation;
