"""Customers, not just totals: datasets of orders and activity (datasets.py), the built-in
measures computed from them (measures.py), aggregated where the data lives, and each customer's
summary (summary.py), RFM scores and tier (rfm.py)."""
