"""Organisation structure and people: regions, branches, users and their scope; demo data."""
