"""Escalation and remediation (docs/architecture.md, "Escalation", "Remediation").

Pure machines: episode.py (the episode and its repeat-ping rule), remediation.py (the 72-hour
checklist). The flow that steps them and queues messages: flow.py, with rows.py between stored
rows and machine states. compose.py builds the messages when they are sent; interactions.py
and close_out.py apply people's clicks and the 72-hour decision.
"""
