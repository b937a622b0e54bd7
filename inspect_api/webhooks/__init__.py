"""Webhooks: admin-managed endpoints, Standard Webhooks signing, the delivery worker, the delivery log.

- Fan-out: `emit_event` (events/sql/emit_event.sql) inserts one pending delivery per matching enabled
  endpoint in the event's own transaction, so a committed event is never without its deliveries.
- Delivery (worker.py): any number of workers claim due deliveries with `FOR UPDATE SKIP LOCKED` and a
  lease (committed at once: no transaction stays open during the HTTP call, which would hold the
  event feed's visibility horizon back). A worker killed mid-delivery leaves its lease to expire; the
  next worker sends the same message again (same `webhook-id`): at least once.
- Order per subject: a delivery is claimable only while no earlier (subject_seq) delivery of the same
  subject to the same endpoint is pending; a given-up delivery (failed) no longer blocks.
- Retries: exponential-ish schedule with jitter for about three days (schedule.py); 410 Gone disables
  the endpoint (its deliveries wait, and resume when an admin enables it again); other answers and
  timeouts retry.
- Secrets (`whsec_<base64>`) are shown once, at creation or rotation, and never returned again. They
  are stored as they are (HMAC needs them); rotation keeps the previous one valid for an overlap window,
  during which every message carries both signatures.
"""
