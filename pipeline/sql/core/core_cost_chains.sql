-- Employer-period chains (arbeidsgiverperioden, folketrygdloven § 8-19): a person's cases
-- (core_cases: spells counted whole, self- and doctor-certified, all employments) chain when the
-- time back at work between them is under 16 calendar days. Within a chain the first 16 sick
-- calendar days (days back at work not counted) are the employer's; nav_from is the case's first
-- day that is NAV's (NULL: the whole case lies in the employer period).
CREATE OR REPLACE TABLE core_cost_chains AS
WITH ordered AS (
    SELECT
        person_id,
        case_no,
        case_from,
        case_to,
        duration_days,
        lag(case_to) OVER (PARTITION BY person_id ORDER BY case_from) AS previous_to
    FROM core_cases
),
chained AS (
    SELECT
        *,
        sum(CASE WHEN previous_to IS NULL OR case_from - previous_to - 1 >= 16 THEN 1 ELSE 0 END)
            OVER (PARTITION BY person_id ORDER BY case_from ROWS UNBOUNDED PRECEDING) AS chain_no
    FROM ordered
),
counted AS (
    SELECT
        *,
        coalesce(sum(duration_days) OVER (
            PARTITION BY person_id, chain_no ORDER BY case_from
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ), 0) AS sick_days_before
    FROM chained
)
SELECT
    person_id,
    case_no,
    CAST(chain_no AS INTEGER) AS chain_no,
    case_from,
    case_to,
    duration_days,
    CAST(sick_days_before AS INTEGER) AS sick_days_before,
    CASE
        WHEN sick_days_before >= 16 THEN case_from
        WHEN sick_days_before + duration_days > 16
            THEN CAST(case_from + CAST(16 - sick_days_before AS INTEGER) AS DATE)
    END AS nav_from
FROM counted;
