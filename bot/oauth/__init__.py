"""Installing goalpulse into any number of workspaces (OAuth), each with its own token.

Built on Bolt's own machinery (docs/architecture.md, "Installing into several workspaces"):
settings.py builds AsyncOAuthSettings and the flow serving `/slack/install` and
`/slack/oauth_redirect`; stores.py keeps installations and OAuth states in goalpulse's
database; tokens.py gives the engine a workspace's current bot token (rotated when due);
messengers.py is the engine's messenger per workspace; events.py handles uninstalls and
remembers which organization a workspace belongs to.
"""
