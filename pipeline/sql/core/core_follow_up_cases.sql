-- Every case (core_cases, chained as in the statistics) with what its follow-up needs: whether it
-- is ongoing on the as-of date (a spell covers that day), how far its sick notes are registered
-- (before the cut at the as-of date), where the person's next case starts (an activity belongs to
-- the case it falls in), and the unit, sector and leader it is followed up by.
--
-- Unit: of the employment the case touches on its last day (the largest position share, then
-- the lowest employment id), so each case counts in one unit and units add up to sectors.
-- Leader: the unit's Leder in the organisation file, else the Leder of the sector's own row
-- (Arbeidssted = the sector code), else none: HR follows the case up.
CREATE OR REPLACE TABLE core_follow_up_cases AS
WITH spells AS (
    SELECT c.person_id, c.case_no, s.certification, a.to_date AS registered_to
    FROM core_sick_spells AS s
    JOIN stg_absences AS a USING (absence_id)
    JOIN core_cases AS c
        ON c.person_id = s.person_id AND s.from_date BETWEEN c.case_from AND c.case_to
),
registered AS (
    SELECT person_id, case_no, max(registered_to) AS registered_to,
        bool_and(certification = 'self_certified') AS is_self_certified_only
    FROM spells
    GROUP BY person_id, case_no
),
touched AS (
    SELECT
        c.person_id,
        c.case_no,
        e.unit_code,
        row_number() OVER (
            PARTITION BY c.person_id, c.case_no
            ORDER BY o.seg_to DESC, e.position_share DESC, e.employment_id
        ) AS pick
    FROM core_cases AS c
    JOIN core_spell_on_employment AS o
        ON o.person_id = c.person_id AND o.seg_from BETWEEN c.case_from AND c.case_to
    JOIN core_employments AS e USING (employment_id)
),
placed AS (
    SELECT
        c.*,
        r.registered_to,
        r.is_self_certified_only,
        lead(c.case_from) OVER (PARTITION BY c.person_id ORDER BY c.case_from) AS next_case_from,
        c.case_to = p.as_of AS is_ongoing,
        t.unit_code
    FROM core_cases AS c
    JOIN registered AS r USING (person_id, case_no)
    LEFT JOIN touched AS t ON t.person_id = c.person_id AND t.case_no = c.case_no AND t.pick = 1
    CROSS JOIN params AS p
)
SELECT
    pl.*,
    u.sector_code,
    coalesce(
        (SELECT max(o.leader) FROM stg_organisation AS o
         WHERE o.unit_code = pl.unit_code AND nullif(trim(o.leader), '') IS NOT NULL
           AND pl.case_to BETWEEN coalesce(o.valid_from, DATE '0001-01-01')
               AND coalesce(o.valid_to, DATE '9999-12-31')),
        (SELECT max(o.leader) FROM stg_organisation AS o
         WHERE o.unit_code = u.sector_code AND nullif(trim(o.leader), '') IS NOT NULL)
    ) AS leader
FROM placed AS pl
LEFT JOIN core_units AS u
    ON u.unit_code = pl.unit_code AND pl.case_to BETWEEN u.valid_from AND u.valid_to;
