"""Scheduling programmes (#17): a form, branches (a region, a list or a CSV of codes), N visits per branch per
month or quarter, window rules (weekdays, hours in each branch's zone), mystery or announced. Occurrences
are visits rows with a programme_id, generated ahead (this and the next period) idempotently; admins and
regional leads assign them, inspectors claim them from the job board within the mystery revisit rule and
the programme's cap; a visit whose window passes unsubmitted becomes missed (jobs.py)."""
