-- The lost work on NAV's days, cut to be priced: the part of the cost that needs more than
-- lost workdays x Årslønn / 260 (core_cost_unit_quarter prices every lost workday that way, from
-- core_lost_pieces, and takes from here only what lies past the employer period).
--
-- For the persons with NAV days (core_cost_chains.nav_from) the absence segments of each
-- employment (as for lost workdays: doctor-certified grades first, capped at 100 %) are cut at
-- quarters and sector changes (core_employment_pieces), at the zones past the employer period
-- (core_cost_zones: 'refunded' and 'after_maksdato'), at changes in the person's total pay
-- (core_cost_pay_periods) and at G's yearly change (stg_grunnbelop). Every cut is an interval
-- intersection; working days are two calendar lookups. Days in employer periods are not cut here:
-- their pay lost is the rest of the piece's.
--
-- pay_lost        = lost workdays x Årslønn / 260 (NULL when the employment's pay is unknown)
-- expected_refund = in the refunded zone, pay_lost x min(1, 6G / the person's total annual pay),
--                   G in force on those days; 0 after maksdato; NULL when the total pay or G is
--                   unknown.
-- is_known: the piece's pay lost and refund are both known; money is summed over known pieces
-- only, and a piece whose pay is known but whose refund is not leaves the covered part.
CREATE OR REPLACE TABLE core_cost_nav_pieces AS
WITH nav_persons AS (
    SELECT DISTINCT person_id FROM core_cost_chains WHERE nav_from IS NOT NULL
),
pay AS (
    SELECT employment_id, annual_pay FROM stg_employments
),
cut AS (
    SELECT
        p.employment_id,
        p.person_id,
        p.unit_code,
        p.sector_code,
        p.quarter,
        p.position_share,
        s.doctor_grade + s.self_grade AS grade,
        greatest(s.seg_from, p.piece_from) AS cut_from,
        least(s.seg_to, p.piece_to) AS cut_to
    FROM core_absence_segments AS s
    JOIN core_employment_pieces AS p
        ON p.employment_id = s.employment_id
       AND s.seg_from <= p.piece_to
       AND s.seg_to >= p.piece_from
    WHERE s.person_id IN (SELECT person_id FROM nav_persons)
),
zoned AS (
    SELECT
        c.*,
        z.chain_no,
        z.zone,
        greatest(c.cut_from, z.zone_from) AS zone_cut_from,
        least(c.cut_to, z.zone_to) AS zone_cut_to
    FROM cut AS c
    JOIN core_cost_zones AS z
        ON z.person_id = c.person_id AND z.zone_from <= c.cut_to AND z.zone_to >= c.cut_from
    WHERE z.zone <> 'employer'
),
-- only the refunded days need the person's total pay and G
paid AS (
    SELECT
        z.*,
        pp.total_pay,
        pp.has_unknown_pay,
        greatest(z.zone_cut_from, pp.period_from) AS pay_cut_from,
        least(z.zone_cut_to, pp.period_to) AS pay_cut_to
    FROM zoned AS z
    JOIN core_cost_pay_periods AS pp
        ON pp.person_id = z.person_id
       AND pp.period_from <= z.zone_cut_to
       AND pp.period_to >= z.zone_cut_from
    WHERE z.zone = 'refunded'
),
dated AS (
    SELECT
        p.* EXCLUDE (pay_cut_from, pay_cut_to),
        g.amount AS grunnbelop,
        greatest(p.pay_cut_from, g.valid_from) AS day_from,
        least(p.pay_cut_to, g.valid_to) AS day_to
    FROM paid AS p
    JOIN stg_grunnbelop AS g ON g.valid_from <= p.pay_cut_to AND g.valid_to >= p.pay_cut_from
    UNION ALL
    SELECT
        z.*,
        CAST(NULL AS DECIMAL(18, 4)) AS total_pay,
        false AS has_unknown_pay,
        CAST(NULL AS DECIMAL(18, 2)) AS grunnbelop,
        z.zone_cut_from AS day_from,
        z.zone_cut_to AS day_to
    FROM zoned AS z
    WHERE z.zone <> 'refunded'
),
counted AS (
    SELECT
        d.*,
        e.annual_pay,
        cb.workdays_through - ca.workdays_before AS working_days
    FROM dated AS d
    JOIN pay AS e USING (employment_id)
    JOIN core_calendar AS ca ON ca.day = d.day_from
    JOIN core_calendar AS cb ON cb.day = d.day_to
),
priced AS (
    SELECT
        *,
        CAST(position_share * grade * working_days AS DECIMAL(18, 8)) AS lost_workdays,
        CAST(position_share * grade * working_days * annual_pay / 260 AS DECIMAL(18, 6))
            AS pay_lost
    FROM counted
    WHERE working_days > 0
)
SELECT
    employment_id,
    person_id,
    unit_code,
    sector_code,
    quarter,
    chain_no,
    zone,
    day_from,
    day_to,
    working_days,
    lost_workdays,
    annual_pay,
    total_pay,
    grunnbelop,
    pay_lost,
    CAST(CASE
        WHEN zone <> 'refunded' THEN 0
        WHEN has_unknown_pay OR grunnbelop IS NULL THEN NULL
        ELSE pay_lost * least(1, 6 * grunnbelop / total_pay)
    END AS DECIMAL(18, 6)) AS expected_refund,
    pay_lost IS NOT NULL
        AND (zone <> 'refunded' OR NOT (has_unknown_pay OR grunnbelop IS NULL)) AS is_known
FROM priced;
