-- Sick-leave spells (self- and doctor-certified; other codes count nowhere), cut at the as-of date:
-- a sick note running past it has not been lost yet. An empty grade means 100 %.
CREATE OR REPLACE TABLE core_sick_spells AS
SELECT
    a.absence_id,
    a.source_file,
    a.source_line,
    n.person_id,
    a.unit_code,
    c.certification,
    CAST(coalesce(a.absence_pct, 100) * 0.01 AS DECIMAL(18, 8)) AS grade,
    a.from_date,
    least(a.to_date, p.as_of) AS to_date
FROM stg_absences AS a
JOIN core_persons AS n USING (person_key)
JOIN stg_absence_codes AS c ON c.absence_code = a.absence_code
CROSS JOIN params AS p
WHERE c.certification IN ('self_certified', 'doctor_certified')
  AND a.from_date <= p.as_of;

-- Cases (sykefraværstilfeller): chains of one person's spells where each spell starts at the
-- latest the day after the previous ones end (gaps and islands). Duration in calendar days up to
-- the as-of date; at most 16 days is short-term (the employer period), longer is long-term.
CREATE OR REPLACE TABLE core_cases AS
WITH ordered AS (
    SELECT
        *,
        max(to_date) OVER (
            PARTITION BY person_id ORDER BY from_date, to_date, absence_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS previous_end
    FROM core_sick_spells
),
numbered AS (
    SELECT
        *,
        sum(CASE WHEN previous_end IS NULL OR from_date > previous_end + 1 THEN 1 ELSE 0 END)
            OVER (PARTITION BY person_id ORDER BY from_date, to_date, absence_id
                  ROWS UNBOUNDED PRECEDING) AS case_no
    FROM ordered
)
SELECT
    person_id,
    case_no,
    min(from_date) AS case_from,
    max(to_date) AS case_to,
    CAST(max(to_date) - min(from_date) + 1 AS INTEGER) AS duration_days,
    bool_or(certification = 'doctor_certified') AS has_doctor_certified,
    count(*) AS spells
FROM numbered
GROUP BY person_id, case_no;

-- NAV's duration bands, and the short/long split, from the case's duration.
CREATE OR REPLACE TABLE core_case_durations AS
SELECT
    *,
    duration_days > 16 AS is_long_term,
    CASE
        WHEN duration_days <= 7 THEN 'A'
        WHEN duration_days <= 16 THEN 'B'
        WHEN duration_days <= 56 THEN 'C'
        WHEN duration_days <= 140 THEN 'D'
        WHEN duration_days <= 273 THEN 'E'
        ELSE 'F'
    END AS duration_band
FROM core_cases;
