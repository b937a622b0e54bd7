"""Follow-up actions opened from failed items: lifecycle, comments, evidence, overdue lists, and the
recheck on the next released visit (closing the loop)."""
