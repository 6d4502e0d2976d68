"""The engine: goals judged against their metrics, and what to tell whom. No Slack here
(docs/architecture.md, "Layers")."""
