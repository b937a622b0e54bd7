"""The outbox: one `events` row per state change, written by the service in the transaction that makes
the change (`events.service.emit`), read through `GET /events` and fanned out to webhooks.

Ordering without skips (the feed's position):
- Each row stores the id of the transaction that wrote it (`xid = pg_current_xact_id()`). The feed pages
  by `(xid, id)` and returns only rows whose transaction is older than the reader's visibility horizon,
  `pg_snapshot_xmin(pg_current_snapshot())`: every transaction below it has committed or aborted, and
  every transaction still to commit has an xid at or above it. So a row a reader has not yet been shown
  can never appear behind its cursor: a plain sequence would let a transaction that took id 7 commit
  after a reader had paged past id 8. The cost: one long-running writing transaction anywhere in the
  cluster holds the feed back (never skips) until it ends. The cursor is `<xid>-<id>`.
- xid order is the order transactions first wrote, not quite their commit order, so each event also
  carries `subject_seq`, numbered under a per-subject advisory lock held to commit
  (events/sql/emit_event.sql): one subject's events are numbered in commit order. Webhook delivery
  keeps that order per subject and endpoint.

Redaction: `payload` is the snapshot as an admin (and a regional lead, for branches of their regions)
sees it; `branch_payload` is the branch manager's shape, computed at emit time by the emitting feature
from what that manager's own endpoints return, or NULL when branch managers do not see such events at
all. The feed and the branch-manager-shaped webhooks read only `branch_payload`.
"""
