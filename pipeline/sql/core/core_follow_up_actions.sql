-- What each leader has to do, per ongoing case and milestone (person-level, pseudonymised: it
-- stays in the internal warehouse; pipeline/action_lists.py turns it into the leaders' lists):
--   due_soon  the milestone falls due in the coming 7 days and nothing is registered yet,
--   due_now   it has fallen due, its deadline (the next working day) is today or ahead, and
--             nothing is registered yet,
--   overdue   its deadline is over and the expected activity is not registered (only where the
--             follow-up export exists); these go to HR as well.
-- A milestone with no activity of the employer (NAV's steps) is listed as due_soon / due_now
-- for the leader's information, never as overdue.
CREATE OR REPLACE TABLE core_follow_up_actions AS
SELECT
    m.person_id,
    m.case_no,
    m.case_from,
    m.unit_code,
    m.sector_code,
    m.leader,
    m.milestone_no,
    m.milestone_id,
    m.day,
    m.label,
    m.due_date,
    m.deadline,
    CASE
        WHEN m.outcome = 'missing' THEN 'overdue'
        WHEN m.due_within_days BETWEEN 1 AND 7 THEN 'due_soon'
        ELSE 'due_now'
    END AS action_status
FROM core_follow_up_milestones AS m
CROSS JOIN params AS p
WHERE m.is_ongoing
  AND m.activity_date IS NULL
  AND (
      m.due_within_days BETWEEN 1 AND 7
      OR (m.is_passed AND m.deadline >= p.as_of)
      OR m.outcome = 'missing'
  );
