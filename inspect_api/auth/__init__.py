"""Login, JWTs, the request's Principal, role checks. Scope (which rows) is enforced in SQL, see
migrations/0003_visits.sql `visible_branch_ids`."""
