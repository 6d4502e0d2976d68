"""The HTTP surface: `POST /slack/events` for Slack, `GET /healthz` for load balancers."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

SLACK_EVENTS_PATH = "/slack/events"


def build_web_app(bolt_app: AsyncApp) -> web.Application:
    """An aiohttp application serving the Bolt app (Bolt verifies every Slack signature)."""

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt_app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app = web.Application()
    web_app.router.add_post(SLACK_EVENTS_PATH, slack_events)
    web_app.router.add_get("/healthz", healthz)
    return web_app
