-- Sick leave by period and scope. Sums of lost and possible workdays over quarters and units,
-- then the ratio (never an average of percentages). A figure is masked when even its largest
-- quarter has fewer persons than the threshold: value, lost and possible are then empty.
CREATE OR REPLACE TABLE sick_leave_periods AS
WITH scoped AS (
    SELECT 'municipality' AS scope_level, 'Alle' AS scope_code, * FROM core_fact_quarter
    UNION ALL
    SELECT 'sector', sector_code, * FROM core_fact_quarter
    UNION ALL
    SELECT 'unit', unit_code, * FROM core_fact_quarter
),
person_quarter AS (
    SELECT scope_level, scope_code, quarter, person_key, sum(possible_workdays) AS possible
    FROM scoped
    GROUP BY ALL
),
quarter_persons AS (
    SELECT scope_level, scope_code, quarter, count(*) FILTER (WHERE possible > 0) AS persons
    FROM person_quarter
    GROUP BY ALL
),
period_persons AS (
    SELECT p.period_type, p.period, pq.scope_level, pq.scope_code,
        count(DISTINCT pq.person_key) FILTER (WHERE pq.possible > 0) AS persons
    FROM person_quarter AS pq JOIN periods AS p USING (quarter)
    GROUP BY ALL
),
sums AS (
    SELECT
        p.period_type,
        p.period,
        any_value(p.first_quarter) AS first_quarter,
        any_value(p.last_quarter) AS last_quarter,
        any_value(p.is_complete) AS is_complete,
        s.scope_level,
        s.scope_code,
        sum(s.possible_workdays) AS possible_workdays,
        sum(s.lost_workdays) AS lost_workdays,
        sum(s.lost_workdays_self) AS lost_workdays_self,
        sum(s.lost_workdays_doctor) AS lost_workdays_doctor,
        sum(s.lost_workdays_short) AS lost_workdays_short,
        sum(s.lost_workdays_long) AS lost_workdays_long,
        sum(s.lost_workdays_graded) AS lost_workdays_graded
    FROM scoped AS s JOIN periods AS p USING (quarter)
    GROUP BY p.period_type, p.period, s.scope_level, s.scope_code
),
largest_quarter AS (
    SELECT p.period_type, p.period, qp.scope_level, qp.scope_code, max(qp.persons) AS persons
    FROM quarter_persons AS qp JOIN periods AS p USING (quarter)
    GROUP BY ALL
),
names AS (
    SELECT 'municipality' AS scope_level, 'Alle' AS scope_code,
        (SELECT municipality_name FROM params) AS scope_name
    UNION ALL
    SELECT 'sector', sector_code, arg_max(sector_name, valid_from) FROM core_units GROUP BY ALL
    UNION ALL
    SELECT 'unit', unit_code, arg_max(unit_name, valid_from) FROM core_units GROUP BY ALL
),
judged AS (
    SELECT s.*, pp.persons, lq.persons < (SELECT mask_threshold FROM params) AS is_masked
    FROM sums AS s
    JOIN period_persons AS pp USING (period_type, period, scope_level, scope_code)
    JOIN largest_quarter AS lq USING (period_type, period, scope_level, scope_code)
)
SELECT
    j.period_type,
    j.period,
    j.first_quarter,
    j.last_quarter,
    j.is_complete,
    j.scope_level,
    j.scope_code,
    n.scope_name,
    CASE WHEN j.is_masked THEN NULL ELSE j.persons END AS persons,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.possible_workdays AS DECIMAL(20, 8)) END
        AS possible_workdays,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays AS DECIMAL(20, 8)) END
        AS lost_workdays,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays_self AS DECIMAL(20, 8)) END
        AS lost_workdays_self,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays_doctor AS DECIMAL(20, 8)) END
        AS lost_workdays_doctor,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays_short AS DECIMAL(20, 8)) END
        AS lost_workdays_short,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays_long AS DECIMAL(20, 8)) END
        AS lost_workdays_long,
    CASE WHEN j.is_masked THEN NULL ELSE CAST(j.lost_workdays_graded AS DECIMAL(20, 8)) END
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
LEFT JOIN names AS n USING (scope_level, scope_code);

CREATE OR REPLACE TABLE sick_leave_quarterly AS
SELECT
    period AS quarter,
    is_complete,
    scope_level,
    scope_code,
    scope_name,
    persons,
    possible_workdays,
    lost_workdays,
    lost_workdays_self,
    lost_workdays_doctor,
    lost_workdays_short,
    lost_workdays_long,
    lost_workdays_graded,
    sick_leave_pct,
    self_certified_pct,
    doctor_certified_pct,
    short_term_pct,
    long_term_pct,
    graded_share_pct,
    is_masked
FROM sick_leave_periods
WHERE period_type = 'quarter';
