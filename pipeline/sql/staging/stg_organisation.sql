-- The organisation as read from Agresso's newest snapshot: typed and renamed, nothing else.
-- Filled from the reader's frame by pipeline.warehouse.create_staging.
CREATE OR REPLACE TABLE stg_organisation (
    unit_code VARCHAR, unit_name VARCHAR, sector_code VARCHAR, sector_name VARCHAR,
    org_number VARCHAR, valid_from DATE, valid_to DATE,
    source_file VARCHAR, source_line INTEGER,
    -- optional Leder: who gets the unit's follow-up lists
    leader VARCHAR
);
