"""Goals and the settings around them: the rules behind setting, pausing and removing a goal,
checking in a value, and a channel's or workspace's lead, CEO, digest time and checklist."""
