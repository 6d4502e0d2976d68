"""Scheduled check-ins: when owners are asked (cadence.py) and each prompt's life (prompt.py)."""
