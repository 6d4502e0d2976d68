"""The app factory: builds the Bolt AsyncApp and registers every listener module explicitly."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import actions, commands, home, views
from bot.errors import handle_listener_error
from bot.locale_middleware import speak_readers_language
from bot.oauth import events as oauth_events
from bot.oauth.settings import OAuth
from bot.services import Services, provide_services


class _SameTokenWarning(logging.Filter):
    """Bolt warns "token will be unused" whenever SLACK_BOT_TOKEN is set, even though the client
    we hand it was built from that very token; the warning would only mislead operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(
    *,
    services: Services,
    client: AsyncWebClient,
    signing_secret: str,
    oauth: OAuth | None = None,
) -> AsyncApp:
    """A fully wired AsyncApp. Listeners ack inline (no polling), slow work runs afterwards;
    each finds `services` in its context (bot.services.services_of). With `oauth`, each
    request's client carries its workspace's token (bot/oauth/)."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        oauth_flow=oauth.flow if oauth is not None else None,
        # Listeners ack before any I/O and return; the response goes out at once instead of
        # Bolt polling for the ack every 10 ms.
        process_before_response=True,
        logger=_bolt_logger(),
    )
    app.use(provide_services(services))
    app.use(speak_readers_language)
    app.error(handle_listener_error)
    commands.register(app)
    views.register(app)
    actions.register(app)
    home.register(app)
    if oauth is not None:
        oauth_events.register(app, oauth.installs)
    return app


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("goalpulse.bolt")
    if not any(isinstance(f, _SameTokenWarning) for f in logger.filters):
        logger.addFilter(_SameTokenWarning())
    return logger
