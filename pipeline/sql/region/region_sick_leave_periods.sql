-- The region's sick leave by period and level, masked again on the combined persons: a group with
-- fewer persons than the region's threshold in its largest quarter shows no figures (the
-- municipalities' own rule, applied to the sums). Rates are recomputed from the summed workdays
-- with sick_leave_pct, never averaged.
CREATE OR REPLACE TABLE region_sick_leave_periods AS
WITH largest_quarter AS (
    SELECT s.group_key, s.period_type, s.period, max(q.persons) AS persons
    FROM region_sums AS s
    JOIN region_sums AS q
        ON q.group_key = s.group_key AND q.period_type = 'quarter'
        AND q.period BETWEEN s.first_quarter AND s.last_quarter
    GROUP BY ALL
),
judged AS (
    SELECT s.*,
        coalesce(l.persons, 0) < (SELECT mask_threshold FROM params) AS is_masked
    FROM region_sums AS s
    LEFT JOIN largest_quarter AS l USING (group_key, period_type, period)
)
SELECT
    j.period_type,
    j.period,
    j.first_quarter,
    j.last_quarter,
    j.is_complete,
    j.scope_level,
    j.municipality_number,
    m.municipality_name,
    j.sector_code,
    j.sector_name,
    j.parts,
    j.parts_masked,
    CASE WHEN j.is_masked THEN NULL ELSE j.persons END AS persons,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.possible_workdays AS DECIMAL(24, 8)) END
        AS possible_workdays,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays AS DECIMAL(24, 8)) END
        AS lost_workdays,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays_self AS DECIMAL(24, 8)) END
        AS lost_workdays_self,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays_doctor AS DECIMAL(24, 8)) END
        AS lost_workdays_doctor,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays_short AS DECIMAL(24, 8)) END
        AS lost_workdays_short,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays_long AS DECIMAL(24, 8)) END
        AS lost_workdays_long,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays_graded AS DECIMAL(24, 8)) END
        AS lost_workdays_graded,
    CASE WHEN j.is_masked THEN NULL ELSE sick_leave_pct(j.lost_workdays, j.possible_workdays) END
        AS sick_leave_pct,
    CASE WHEN j.is_masked THEN NULL
        ELSE sick_leave_pct(j.lost_workdays_self, j.possible_workdays) END AS self_certified_pct,
    CASE WHEN j.is_masked THEN NULL
        ELSE sick_leave_pct(j.lost_workdays_doctor, j.possible_workdays) END AS doctor_certified_pct,
    CASE WHEN j.is_masked THEN NULL
        ELSE sick_leave_pct(j.lost_workdays_short, j.possible_workdays) END AS short_term_pct,
    CASE WHEN j.is_masked THEN NULL
        ELSE sick_leave_pct(j.lost_workdays_long, j.possible_workdays) END AS long_term_pct,
    CASE WHEN j.is_masked THEN NULL
        ELSE sick_leave_pct(j.lost_workdays_graded, j.lost_workdays_doctor) END AS graded_share_pct,
    j.is_masked
FROM judged AS j
LEFT JOIN region_input_municipalities AS m ON m.municipality_number = j.municipality_number;
