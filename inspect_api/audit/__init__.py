"""The audit log: who did what, when and from where. Rows are written by the services in the
transaction that makes the change (`audit.service.record`), carry the request id and client address
of the HTTP request (context.py), and can never be changed or removed (sql/audit_append_only.sql)."""
