"""The outbox (docs/architecture.md, "Outbox and run claims"): sender.py claims and sends due
rows, deliveries.py says what sending each kind means (escalation_dms.py the DMs),
outcomes.py what a send came to, and problems.py tells someone when Slack refuses for good."""
