"""Customers, not just totals: datasets of orders and activity (datasets.py), the built-in
measures computed from them (measures.py), aggregated where the data lives."""
