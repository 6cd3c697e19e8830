-- Elementary segments: each employment's absence days cut at every spell start and end, so that
-- within a segment the same spells apply on every day. Per segment, doctor-certified grades count
-- first (together at most 100 %), self-certified ones fill what is left: lost never exceeds the
-- position share, whatever overlaps in the export.
CREATE OR REPLACE TABLE core_absence_segments AS
WITH bounds AS (
    SELECT employment_id, seg_from AS bound FROM core_spell_on_employment
    UNION
    SELECT employment_id, seg_to + 1 AS bound FROM core_spell_on_employment
),
segments AS (
    SELECT
        employment_id,
        bound AS seg_from,
        lead(bound) OVER (PARTITION BY employment_id ORDER BY bound) - 1 AS seg_to
    FROM bounds
),
graded AS (
    SELECT
        g.employment_id,
        any_value(x.person_id) AS person_id,
        g.seg_from,
        g.seg_to,
        least(1, coalesce(sum(x.grade) FILTER (WHERE x.certification = 'doctor_certified'), 0))
            AS doctor_grade,
        coalesce(sum(x.grade) FILTER (WHERE x.certification = 'self_certified'), 0) AS self_sum,
        count(*) AS covering_spells
    FROM segments AS g
    JOIN core_spell_on_employment AS x
        ON x.employment_id = g.employment_id
       AND x.seg_from <= g.seg_from
       AND x.seg_to >= g.seg_to
    WHERE g.seg_to IS NOT NULL
    GROUP BY g.employment_id, g.seg_from, g.seg_to
)
SELECT
    g.employment_id,
    g.person_id,
    g.seg_from,
    g.seg_to,
    CAST(g.doctor_grade AS DECIMAL(18, 8)) AS doctor_grade,
    CAST(least(1 - g.doctor_grade, g.self_sum) AS DECIMAL(18, 8)) AS self_grade,
    g.doctor_grade > 0 AND g.doctor_grade < 1 AS is_graded,
    g.covering_spells,
    c.is_long_term
FROM graded AS g
JOIN core_case_durations AS c
    ON c.person_id = g.person_id AND g.seg_from BETWEEN c.case_from AND c.case_to;
