"""A person's own page: their goals, their open checklist items and their channels."""
