-- follow_up_compliance (published): per quarter (of the milestone's due day), per municipality,
-- sector and unit and per milestone that expects an activity: of the cases that passed the
-- milestone and whose deadline is over (or whose activity is registered), how many had it
-- registered on time, late or not at all, and the shares in percent (one decimal, half up).
-- Only where the follow-up export exists: without it the table is empty, never 0 %. Masked like
-- every published figure (fewer persons than the threshold in the group and quarter).
CREATE OR REPLACE TABLE follow_up_compliance AS
WITH judged AS (
    SELECT
        m.*,
        CAST(year(m.due_date) AS VARCHAR) || 'K' || CAST(quarter(m.due_date) AS VARCHAR)
            AS quarter
    FROM core_follow_up_milestones AS m
    WHERE m.outcome IN ('on_time', 'late', 'missing') AND m.unit_code IS NOT NULL
),
counted AS (
    SELECT quarter, unit_code, sector_code, milestone_id,
        count(*) AS passed,
        count(*) FILTER (WHERE outcome = 'on_time') AS on_time,
        count(*) FILTER (WHERE outcome = 'late') AS late,
        count(*) FILTER (WHERE outcome = 'missing') AS missing
    FROM judged GROUP BY ALL
),
by_scope AS (
    SELECT quarter, 'municipality' AS scope_level, 'Alle' AS scope_code, milestone_id,
        sum(passed) AS passed, sum(on_time) AS on_time, sum(late) AS late,
        sum(missing) AS missing
    FROM counted GROUP BY ALL
    UNION ALL
    SELECT quarter, 'sector', sector_code, milestone_id,
        sum(passed), sum(on_time), sum(late), sum(missing)
    FROM counted GROUP BY ALL
    UNION ALL
    SELECT quarter, 'unit', unit_code, milestone_id,
        sum(passed), sum(on_time), sum(late), sum(missing)
    FROM counted GROUP BY ALL
),
milestones AS (
    SELECT * FROM stg_follow_up_milestones WHERE activity IS NOT NULL
)
SELECT
    s.quarter,
    s.scope_level,
    s.scope_code,
    coalesce(n.scope_name, s.scope_code) AS scope_name,
    m.milestone_no,
    m.milestone_id,
    m.day AS milestone_day,
    m.label AS milestone_label,
    CASE WHEN NOT masked THEN s.persons END AS persons,
    CAST(CASE WHEN NOT masked THEN coalesce(b.passed, 0) END AS BIGINT) AS cases_passed,
    CAST(CASE WHEN NOT masked THEN coalesce(b.on_time, 0) END AS BIGINT) AS on_time,
    CAST(CASE WHEN NOT masked THEN coalesce(b.late, 0) END AS BIGINT) AS late,
    CAST(CASE WHEN NOT masked THEN coalesce(b.missing, 0) END AS BIGINT) AS missing,
    CASE WHEN NOT masked THEN sick_leave_pct(b.on_time, b.passed) END AS on_time_pct,
    CASE WHEN NOT masked THEN sick_leave_pct(b.late, b.passed) END AS late_pct,
    CASE WHEN NOT masked THEN sick_leave_pct(b.missing, b.passed) END AS missing_pct,
    masked AS is_masked
FROM follow_up_scopes AS s
CROSS JOIN milestones AS m
CROSS JOIN params AS p
CROSS JOIN LATERAL (SELECT s.persons < p.mask_threshold AS masked) AS x
LEFT JOIN follow_up_scope_names AS n USING (scope_level, scope_code)
LEFT JOIN by_scope AS b
    ON b.quarter = s.quarter AND b.scope_level = s.scope_level
    AND b.scope_code = s.scope_code AND b.milestone_id = m.milestone_id
-- from the quarter of the export's first activity: before it, nothing could be registered
WHERE s.quarter >= (
    SELECT CAST(year(min(activity_date)) AS VARCHAR) || 'K'
        || CAST(quarter(min(activity_date)) AS VARCHAR)
    FROM stg_follow_up_activities
)
ORDER BY s.quarter, s.scope_level, s.scope_code, m.milestone_no;
