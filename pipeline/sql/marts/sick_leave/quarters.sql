CREATE OR REPLACE TABLE quarters AS
SELECT quarter, year, quarter_no, start_date, end_date, is_complete, working_days
FROM core_quarters;
