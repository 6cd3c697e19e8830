CREATE OR REPLACE TABLE sick_leave_periods AS
WITH seqs AS (SELECT * FROM mart_seqs),
scopes AS (SELECT * FROM mart_scopes),
present AS (SELECT * FROM mart_present),
quarter_sums AS (SELECT * FROM mart_quarter_sums),
quarter_persons AS (
    -- every scope and quarter with fact rows, also those where nobody has possible workdays
    SELECT s.scope_level, s.scope_code, s.quarter, coalesce(c.persons, 0) AS persons
    FROM quarter_sums AS s
    JOIN seqs AS q USING (quarter)
    LEFT JOIN (
        SELECT sc.scope_level, sc.scope_code, p.seq, count(*) AS persons
        FROM present AS p JOIN scopes AS sc USING (scope_id)
        GROUP BY ALL
    ) AS c USING (scope_level, scope_code, seq)
),
period_patterns AS (
    SELECT p.period_type, p.period, bit_or(q.bit) AS pattern
    FROM periods AS p JOIN seqs AS q USING (quarter)
    GROUP BY ALL
),
counted AS (
    SELECT b.period_type, b.period, sc.scope_level, sc.scope_code, sum(m.persons) AS persons
    FROM mart_presence_patterns AS m
    JOIN period_patterns AS b ON (m.pattern & b.pattern) <> 0
    JOIN scopes AS sc USING (scope_id)
    GROUP BY ALL
),
period_persons AS (
    SELECT s.period_type, s.period, s.scope_level, s.scope_code,
        coalesce(c.persons, 0) AS persons
    FROM (
        SELECT DISTINCT p.period_type, p.period, qs.scope_level, qs.scope_code
        FROM quarter_sums AS qs JOIN periods AS p USING (quarter)
    ) AS s
    LEFT JOIN counted AS c USING (period_type, period, scope_level, scope_code)
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
    FROM quarter_sums AS s JOIN periods AS p USING (quarter)
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
