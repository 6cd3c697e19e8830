-- Sick leave by period and scope. Sums of lost and possible workdays over quarters and units,
-- then the ratio (never an average of percentages). A figure is masked when even its largest
-- quarter has fewer persons than the threshold: value, lost and possible are then empty.
--
-- Cost: the fact has one row per quarter, person, unit and sector, and each quarter belongs to up
-- to ten periods, so nothing person-level is ever multiplied by the periods it belongs to:
-- - sums are taken per scope and quarter first, then over periods (additive: the same exact sums),
-- - distinct persons per period: each person's quarters of presence (possible workdays > 0) in a
--   scope are one bit pattern (bit i = the window's i-th quarter), and so is each period's set of
--   quarters. A person counts in a period when the two patterns share a bit. Persons are grouped
--   by pattern first: a country's 1.6 million (scope, person) pairs have a few hundred distinct
--   patterns per scope, so the period join runs over patterns, never persons x periods (and
--   replaces a window over every person's quarters that took 6 s of a country's five years).
--   UHUGEINT holds 128 quarters; pipeline/steps.py refuses a longer report window beforehand.
-- Scopes and quarters are numbered (integers group and sort much faster than strings; persons
-- already are, in core_persons). The scratch tables are TEMP (gone when the build's connection
-- closes) and built one by one: as one statement the planner did about twice the work.
CREATE OR REPLACE TEMP TABLE mart_seqs AS
SELECT
    quarter,
    year * 4 + quarter_no AS seq,
    CAST(1 AS UHUGEINT) << CAST(year * 4 + quarter_no - min(year * 4 + quarter_no) OVER ()
        AS UHUGEINT) AS bit
FROM core_quarters;

CREATE OR REPLACE TEMP TABLE mart_scopes AS
SELECT scope_level, scope_code, row_number() OVER () AS scope_id
FROM (
    SELECT 'municipality' AS scope_level, 'Alle' AS scope_code
    UNION ALL
    SELECT DISTINCT 'sector', sector_code FROM core_fact_quarter
    UNION ALL
    SELECT DISTINCT 'unit', unit_code FROM core_fact_quarter
);

CREATE OR REPLACE TEMP TABLE mart_present AS
WITH fact AS (
    SELECT
        f.person_id AS pid, q.seq, m.scope_id AS all_id, s.scope_id AS sector_id,
        u.scope_id AS unit_id
    FROM core_fact_quarter AS f
    JOIN mart_seqs AS q USING (quarter)
    JOIN mart_scopes AS m ON m.scope_level = 'municipality'
    JOIN mart_scopes AS s ON s.scope_level = 'sector' AND s.scope_code = f.sector_code
    JOIN mart_scopes AS u ON u.scope_level = 'unit' AND u.scope_code = f.unit_code
    -- a person counts in a scope and quarter when the person has possible workdays there; these
    -- are never negative, so the person's sum is positive exactly when one of the rows is
    WHERE f.possible_workdays > 0
)
SELECT DISTINCT all_id AS scope_id, seq, pid FROM fact
UNION ALL
SELECT DISTINCT sector_id, seq, pid FROM fact
UNION ALL
SELECT DISTINCT unit_id, seq, pid FROM fact;

CREATE OR REPLACE TEMP TABLE mart_presence_patterns AS
SELECT scope_id, pattern, count(*) AS persons
FROM (
    SELECT p.scope_id, p.pid, bit_or(q.bit) AS pattern
    FROM mart_present AS p JOIN mart_seqs AS q USING (seq)
    GROUP BY p.scope_id, p.pid
)
GROUP BY scope_id, pattern;

CREATE OR REPLACE TEMP TABLE mart_quarter_sums AS
SELECT 'municipality' AS scope_level, 'Alle' AS scope_code, quarter,
    sum(possible_workdays) AS possible_workdays,
    sum(lost_workdays) AS lost_workdays,
    sum(lost_workdays_self) AS lost_workdays_self,
    sum(lost_workdays_doctor) AS lost_workdays_doctor,
    sum(lost_workdays_short) AS lost_workdays_short,
    sum(lost_workdays_long) AS lost_workdays_long,
    sum(lost_workdays_graded) AS lost_workdays_graded
FROM core_fact_quarter GROUP BY quarter
UNION ALL
SELECT 'sector', sector_code, quarter, sum(possible_workdays), sum(lost_workdays),
    sum(lost_workdays_self), sum(lost_workdays_doctor), sum(lost_workdays_short),
    sum(lost_workdays_long), sum(lost_workdays_graded)
FROM core_fact_quarter GROUP BY sector_code, quarter
UNION ALL
SELECT 'unit', unit_code, quarter, sum(possible_workdays), sum(lost_workdays),
    sum(lost_workdays_self), sum(lost_workdays_doctor), sum(lost_workdays_short),
    sum(lost_workdays_long), sum(lost_workdays_graded)
FROM core_fact_quarter GROUP BY unit_code, quarter;

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
