"""Visits: an inspector assigned to a branch with a pinned published form version and a time window."""
