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
