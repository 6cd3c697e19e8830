-- SSB's national sick-leave percentage by quarter (table 12439), as the municipalities' own
-- warehouses hold it: the country to compare the region with.
CREATE OR REPLACE TABLE region_national AS
SELECT quarter, value AS sick_leave_pct, source FROM region_input_national;
