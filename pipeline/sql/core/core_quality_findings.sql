-- Data-quality findings the SQL can see: spells that overlap on one employment (the cap above
-- decided how they count), and absence days outside every matching employment (they count nowhere).
CREATE OR REPLACE TABLE core_quality_findings AS
WITH overlapping AS (
    SELECT DISTINCT x1.source_file, x1.source_line
    FROM core_spell_on_employment AS x1
    JOIN core_spell_on_employment AS x2
        ON x1.employment_id = x2.employment_id
       AND x1.absence_id <> x2.absence_id
       AND x1.seg_from <= x2.seg_to
       AND x2.seg_from <= x1.seg_to
),
spell_days AS (
    SELECT
        s.absence_id,
        s.source_file,
        s.source_line,
        greatest(s.from_date, w.start_date) AS from_date,
        s.to_date
    FROM core_sick_spells AS s, core_report_window AS w
    WHERE s.to_date >= w.start_date
),
islands AS (
    -- merge a spell's pieces on several employments so that a day is counted once
    SELECT
        absence_id,
        seg_from,
        seg_to,
        sum(CASE WHEN previous_end IS NULL OR seg_from > previous_end + 1 THEN 1 ELSE 0 END)
            OVER (PARTITION BY absence_id ORDER BY seg_from, seg_to ROWS UNBOUNDED PRECEDING)
            AS island
    FROM (
        SELECT
            absence_id,
            seg_from,
            seg_to,
            max(seg_to) OVER (PARTITION BY absence_id ORDER BY seg_from, seg_to
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
        FROM core_spell_on_employment
    )
),
covered AS (
    SELECT absence_id, sum(days) AS covered_days
    FROM (
        SELECT absence_id, island, max(seg_to) - min(seg_from) + 1 AS days
        FROM islands
        GROUP BY absence_id, island
    )
    GROUP BY absence_id
),
outside AS (
    SELECT
        d.source_file,
        d.source_line,
        (d.to_date - d.from_date + 1) - coalesce(c.covered_days, 0) AS days_outside,
        coalesce(c.covered_days, 0) = 0 AS is_wholly_outside
    FROM spell_days AS d
    LEFT JOIN covered AS c USING (absence_id)
    WHERE (d.to_date - d.from_date + 1) - coalesce(c.covered_days, 0) > 0
)
SELECT
    'absences' AS source,
    source_file AS file,
    source_line AS line,
    'Fra dato' AS "column",
    'warning' AS severity,
    'spell_overlap' AS rule,
    'Fraværet overlapper et annet sykefravær for samme arbeidsforhold; legemeldt fravær er '
        || 'talt først og samlet fravær er begrenset til 100 %. Sjekk registreringen.' AS message
FROM overlapping
UNION ALL
SELECT
    'absences',
    source_file,
    source_line,
    'Fra dato',
    CASE WHEN is_wholly_outside THEN 'error' ELSE 'warning' END,
    CASE WHEN is_wholly_outside THEN 'absence_without_employment'
        ELSE 'absence_outside_employment' END,
    CASE
        WHEN is_wholly_outside THEN 'Fraværet har ingen dag innenfor et arbeidsforhold personen '
            || 'har (ved arbeidsstedet) og er ikke talt med. Sjekk ressursnummer, arbeidssted '
            || 'og datoer.'
        ELSE CAST(days_outside AS VARCHAR) || ' dag(er) av fraværet ligger utenfor personens '
            || 'arbeidsforhold (ved arbeidsstedet) og er ikke talt med. Sjekk datoene eller '
            || 'arbeidsforholdet.'
    END
FROM outside;
