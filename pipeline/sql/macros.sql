-- sick_leave_pct(lost, possible): the published percentage, 100 * lost / possible, one decimal,
-- rounded half up on the exact decimal value (NAV: 455 / 10 000 -> 4.6). A zero or missing
-- possible is "no data": NULL, never 0 %.
--
-- DuckDB divides DECIMALs in floating point, which gets 4.55 wrong, so the exact rule is done on
-- scaled whole numbers: round_half_up(1000 * L / P) = floor((2000 * L + P) / (2 * P)) for P > 0.
-- That needs 128-bit integers and costs about a microsecond a value (seconds over a country's
-- periods), so it runs only where it can matter: 1000 * L / P in floating point is off by far less
-- than 1e-9 (values up to 1000, 16 significant digits), so unless it lies within 1e-6 of a
-- rounding boundary (x.5), rounding it gives the same one decimal as the exact rule. DuckDB
-- evaluates a CASE branch only for the rows that take it.
CREATE OR REPLACE MACRO sick_leave_pct(lost, possible) AS
    CASE
        WHEN lost IS NULL OR possible IS NULL OR possible::DECIMAL(38, 10) <= 0 THEN NULL
        WHEN abs(1000 * lost::DOUBLE / possible::DOUBLE
                 - floor(1000 * lost::DOUBLE / possible::DOUBLE) - 0.5) > 0.000001
            THEN (floor(1000 * lost::DOUBLE / possible::DOUBLE + 0.5)::DECIMAL(18, 0) * 0.1)
                ::DECIMAL(18, 1)
        ELSE ((
            (2000 * (lost::DECIMAL(38, 10) * 10000000000)::HUGEINT
                + (possible::DECIMAL(38, 10) * 10000000000)::HUGEINT)
            // (2 * (possible::DECIMAL(38, 10) * 10000000000)::HUGEINT)
        )::DECIMAL(18, 0) * 0.1)::DECIMAL(18, 1)
    END;
