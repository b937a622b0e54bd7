-- Issue #18: peer groups by branch attribute. A branch's format (a short slug the org chooses, e.g.
-- 'forecourt', 'highway', 'urban'; NULL: not set) lets /rankings?adjust=shrinkage&peer=format rank and
-- shrink each branch among branches of its own format (inspect_api/rankings/adjusted.py).
ALTER TABLE branches ADD COLUMN format text CHECK (format ~ '^[a-z0-9][a-z0-9_-]{0,39}$');
