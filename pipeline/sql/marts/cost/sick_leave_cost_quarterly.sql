-- What sick leave costs per quarter and scope. The quarter's own figures, and the refund gap over
-- the rolling four quarters ending with it: refunds arrive months after the sick days, so one
-- quarter's booked refunds say little on their own.
CREATE OR REPLACE TABLE sick_leave_cost_quarterly AS
SELECT
    q.period AS quarter,
    q.is_complete,
    q.scope_level,
    q.scope_code,
    q.scope_name,
    q.persons,
    q.lost_workdays,
    q.lost_workdays_known_pay,
    q.pay_coverage_pct,
    q.pay_lost_kr,
    q.employer_period_cost_kr,
    q.expected_refund_kr,
    q.social_costs_kr,
    q.net_cost_kr,
    q.nav_estimate_kr,
    q.substitute_pay_kr,
    q.booked_refund_kr,
    -- A masked quarter shows no figures, its rolling four quarters' included (they would let
    -- one subtract the unmasked quarters and find the masked one's).
    CASE WHEN NOT q.is_masked THEN r.expected_refund_kr END AS expected_refund_r4q_kr,
    CASE WHEN NOT q.is_masked THEN r.booked_refund_kr END AS booked_refund_r4q_kr,
    CASE WHEN NOT q.is_masked THEN r.refund_gap_kr END AS refund_gap_r4q_kr,
    CASE WHEN NOT q.is_masked THEN r.refund_booked_pct END AS refund_booked_r4q_pct,
    r.is_refund_gap_flagged AND NOT q.is_masked AS is_refund_gap_flagged,
    q.is_masked
FROM sick_leave_cost_periods AS q
JOIN sick_leave_cost_periods AS r
    ON r.period_type = 'rolling_four_quarters'
   AND r.period = q.period
   AND r.scope_level = q.scope_level
   AND r.scope_code = q.scope_code
WHERE q.period_type = 'quarter';
