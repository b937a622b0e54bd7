"""PDF reports: one inspection, a branch scorecard."""
