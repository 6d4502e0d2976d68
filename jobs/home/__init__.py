"""A person's own page: their goals, the goal they picked to chart, their open checklist items
and their channels."""
