"""Login, JWTs, the request's Principal, role checks. Scope (which rows) is enforced in SQL, see
inspect_api/org/sql/visible_branch_ids.sql; the triggers behind the cached principal are in auth/sql/."""
