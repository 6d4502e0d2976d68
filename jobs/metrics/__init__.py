"""Metrics: the catalog admins declare in metrics.yml, numbers as people type them, and pulling
values from where the data lives (sources/)."""
