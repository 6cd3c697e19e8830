-- sick_leave_pct(lost, possible): the published percentage, 100 * lost / possible, one decimal,
-- rounded half up on the exact decimal value (NAV: 455 / 10 000 -> 4.6). DuckDB divides DECIMALs
-- in floating point, which gets 4.55 wrong, so the division is done on scaled whole numbers:
-- round_half_up(1000 * L / P) = floor((2000 * L + P) / (2 * P)) for L >= 0, P > 0.
-- A zero or missing possible is "no data": NULL, never 0 %.
CREATE OR REPLACE MACRO sick_leave_pct(lost, possible) AS
    CASE
        WHEN lost IS NULL OR possible IS NULL OR possible::DECIMAL(38, 10) <= 0 THEN NULL
        ELSE ((
            (2000 * (lost::DECIMAL(38, 10) * 10000000000)::HUGEINT
                + (possible::DECIMAL(38, 10) * 10000000000)::HUGEINT)
            // (2 * (possible::DECIMAL(38, 10) * 10000000000)::HUGEINT)
        )::DECIMAL(18, 0) * 0.1)::DECIMAL(18, 1)
    END;
