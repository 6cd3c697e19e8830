-- The follow-up export (oppfølging) as read: what was actually done in a sick-leave case, one row
-- per activity, the person pseudonymised. Filled from the reader's frame by
-- pipeline.warehouse.create_staging; empty when the municipality has no such export.
CREATE OR REPLACE TABLE stg_follow_up_activities (
    person_key VARCHAR, activity_code VARCHAR, activity_date DATE,
    source_file VARCHAR, source_line INTEGER
);
