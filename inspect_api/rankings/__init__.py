"""Roll-ups (updated in the releasing transaction), branch rankings, trends, weakness maps, exports."""
