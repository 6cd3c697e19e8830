-- follow_up_status (published): on the as-of date, per municipality, sector and unit and per
-- milestone, the ongoing cases whose last milestone passed is this one (milestone 0: none passed
-- yet) and the cases reaching it in the coming 7 and 14 days. Masked like every published
-- figure: a group with fewer persons than the threshold in the as-of quarter shows no counts.
CREATE OR REPLACE TABLE follow_up_status AS
WITH milestones AS (
    SELECT milestone_no, milestone_id, day, label, legal_source FROM stg_follow_up_milestones
    UNION ALL
    SELECT 0, 'none', 0, 'Ingen stoppunkt passert ennå', NULL
),
last_passed AS (
    SELECT person_id, case_no, any_value(unit_code) AS unit_code,
        any_value(sector_code) AS sector_code,
        coalesce(arg_max(milestone_id, day * 1000 + milestone_no) FILTER (WHERE is_passed),
            'none') AS milestone_id
    FROM core_follow_up_milestones
    WHERE is_ongoing AND unit_code IS NOT NULL
    GROUP BY person_id, case_no
),
case_rows AS (
    -- one row per case and milestone it counts for, with the scopes it belongs to
    SELECT unit_code, sector_code, milestone_id, 1 AS last_passed, 0 AS due_7, 0 AS due_14
    FROM last_passed
    UNION ALL
    SELECT unit_code, sector_code, milestone_id, 0,
        CASE WHEN due_within_days <= 7 THEN 1 ELSE 0 END,
        CASE WHEN due_within_days <= 14 THEN 1 ELSE 0 END
    FROM core_follow_up_milestones
    WHERE due_within_days IS NOT NULL AND unit_code IS NOT NULL
),
by_scope AS (
    SELECT 'municipality' AS scope_level, 'Alle' AS scope_code, milestone_id,
        sum(last_passed) AS ongoing, sum(due_7) AS due_7, sum(due_14) AS due_14
    FROM case_rows GROUP BY ALL
    UNION ALL
    SELECT 'sector', sector_code, milestone_id, sum(last_passed), sum(due_7), sum(due_14)
    FROM case_rows GROUP BY ALL
    UNION ALL
    SELECT 'unit', unit_code, milestone_id, sum(last_passed), sum(due_7), sum(due_14)
    FROM case_rows GROUP BY ALL
),
scopes AS (
    SELECT s.scope_level, s.scope_code, s.persons
    FROM follow_up_scopes AS s, params AS p
    WHERE s.quarter = CAST(year(p.as_of) AS VARCHAR) || 'K' || CAST(quarter(p.as_of) AS VARCHAR)
)
SELECT
    p.as_of,
    s.scope_level,
    s.scope_code,
    coalesce(n.scope_name, s.scope_code) AS scope_name,
    m.milestone_no,
    m.milestone_id,
    m.day AS milestone_day,
    m.label AS milestone_label,
    m.legal_source,
    CASE WHEN NOT masked THEN s.persons END AS persons,
    CAST(CASE WHEN NOT masked THEN coalesce(b.ongoing, 0) END AS BIGINT)
        AS ongoing_cases_last_passed,
    CAST(CASE WHEN NOT masked AND m.milestone_no > 0 THEN coalesce(b.due_7, 0) END AS BIGINT)
        AS cases_due_next_7_days,
    CAST(CASE WHEN NOT masked AND m.milestone_no > 0 THEN coalesce(b.due_14, 0) END AS BIGINT)
        AS cases_due_next_14_days,
    masked AS is_masked
FROM scopes AS s
CROSS JOIN milestones AS m
CROSS JOIN params AS p
CROSS JOIN LATERAL (SELECT s.persons < p.mask_threshold AS masked) AS x
LEFT JOIN follow_up_scope_names AS n USING (scope_level, scope_code)
LEFT JOIN by_scope AS b
    ON b.scope_level = s.scope_level AND b.scope_code = s.scope_code
    AND b.milestone_id = m.milestone_id
ORDER BY s.scope_level, s.scope_code, m.milestone_no;
