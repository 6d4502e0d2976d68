"""The fake Slack installed into several workspaces: OAuth and one bot token per workspace.

`FakeSlackWorkspaces` is a FakeSlack (tests/support/fake_slack.py) that
- serves Slack's approval page, `GET /oauth/v2/authorize`, which sends the browser straight
  back to the redirect URL with a `code` and the `state` it was given (installing into the
  workspace `install_next` named, as the person clicking "Allow" would);
- answers `oauth.v2.access`: a code becomes that workspace's bot token (with a refresh token
  and `expires_in` when `rotation` is on), and `grant_type=refresh_token` a fresh token;
- accepts a call only with a live token of the workspace the call is about (its channel's,
  its user's, its DM's): a token of another workspace gets `channel_not_found` or
  `user_not_found`, as Slack answers. `team_of(call)` is the workspace whose token it used.
"""

from __future__ import annotations

import base64
import itertools
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.support.fake_slack import Call, FakeSlack, _ok

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret-0123456789"
# A rotating token lives 12 hours at Slack.
TOKEN_LIFETIME = 43_200


@dataclass
class Workspace:
    team_id: str
    name: str
    enterprise_id: str | None = None


@dataclass
class _Grant:
    team_id: str | None  # None: installed org-wide
    enterprise_id: str | None
    expires_at: float | None


class FakeSlackWorkspaces(FakeSlack):
    """FakeSlack with per-workspace tokens and the OAuth pages."""

    def __init__(self, *, rotation: bool = False, **kwargs: Any) -> None:
        super().__init__(token="xoxb-no-single-token", **kwargs)
        self.rotation = rotation
        self.lifetime = TOKEN_LIFETIME
        self.workspaces: dict[str, Workspace] = {}
        self.channels: dict[str, str] = {}  # channel -> team
        self.redirect_uri = ""
        self.authorize_requests: list[dict[str, str]] = []
        self._grants: dict[str, _Grant] = {}  # token -> what it may reach
        self._refresh: dict[str, _Grant] = {}
        self._codes: dict[str, _Grant] = {}
        self._next: _Grant | None = None
        self._seq = itertools.count(1)
        self._used: dict[int, str | None] = {}
        self._calling = _Grant(None, None, None)  # the grant of the call being answered
        self._handlers["oauth.v2.access"] = self._oauth_access
        self._handlers["auth.test"] = self._token_auth_test

    # -- the workspaces ---------------------------------------------------------------------

    def add_workspace(
        self, team_id: str, name: str, *, enterprise_id: str | None = None
    ) -> Workspace:
        self.workspaces[team_id] = Workspace(team_id, name, enterprise_id)
        return self.workspaces[team_id]

    def add_member(self, user_id: str, team_id: str, **kwargs: Any) -> dict[str, Any]:
        user = self.add_user(user_id, **kwargs)
        user["team_id"] = team_id
        return user

    def add_channel(self, channel_id: str, team_id: str) -> None:
        self.channels[channel_id] = team_id

    def install_next(self, team_id: str | None, *, enterprise_id: str | None = None) -> None:
        """The next approval installs into this workspace (None: org-wide, into the
        organization `enterprise_id`)."""
        self._next = _Grant(team_id, enterprise_id, None)

    def issue_token(self, team_id: str) -> str:
        """A bot token for the workspace, as if it had installed the app (no OAuth pages)."""
        return str(self._token(_Grant(team_id, None, None))["access_token"])

    def team_of(self, call: Call) -> str | None:
        """The workspace whose token made the call (an org-wide token: its organization)."""
        return self._used.get(id(call))

    def tokens_of(self, team_id: str) -> list[str]:
        """Live tokens reaching the workspace (its own, or its organization's)."""
        return [token for token, grant in self._grants.items() if self._reaches(grant, team_id)]

    def revoke(self, team_id: str) -> None:
        """Every token of the workspace stops working (it uninstalled the app)."""
        for token in self.tokens_of(team_id):
            del self._grants[token]

    # -- the OAuth pages --------------------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/oauth/v2/authorize", self._authorize_route)

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/oauth/v2/authorize"

    async def _authorize_route(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        self.authorize_requests.append(query)
        if query.get("client_id") != CLIENT_ID or self._next is None:
            return web.Response(status=400, text="invalid_client_id")
        code = f"code-{next(self._seq)}"
        self._codes[code] = self._next
        target = query.get("redirect_uri") or self.redirect_uri
        fields = {"code": code, "state": query.get("state", "")}
        raise web.HTTPFound(f"{target}?{urlencode(fields)}")

    # -- tokens -----------------------------------------------------------------------------

    def _auth_error(self, call: Call) -> str | None:
        if call.method == "oauth.v2.access":
            return self._client_error(call)
        auth = [v for k, v in call.headers.items() if k.lower() == "authorization"]
        token = auth[0].removeprefix("Bearer ") if len(auth) == 1 else ""
        grant = self._grants.get(token)
        if grant is None:
            return "invalid_auth"
        if grant.expires_at is not None and grant.expires_at < time.time():
            return "token_expired"
        self._used[id(call)] = grant.team_id or grant.enterprise_id
        self._calling = grant
        about = self._about(call.body)
        if about is not None and not self._reaches(grant, about):
            return "user_not_found" if self._is_user_call(call.body) else "channel_not_found"
        return None

    def _client_error(self, call: Call) -> str | None:
        basic = [v for k, v in call.headers.items() if k.lower() == "authorization"]
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if basic == [f"Basic {expected}"]:
            return None
        body = call.body
        if (body.get("client_id"), body.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET):
            return None
        return "invalid_client_id"

    def _reaches(self, grant: _Grant, team_id: str) -> bool:
        if grant.team_id is not None:
            return grant.team_id == team_id
        workspace = self.workspaces.get(team_id)
        return workspace is not None and workspace.enterprise_id == grant.enterprise_id

    def _is_user_call(self, body: dict[str, Any]) -> bool:
        return not body.get("channel") and not body.get("channel_id")

    def _about(self, body: dict[str, Any]) -> str | None:
        """The workspace a call is about: its channel's, its DM's or its user's (None when
        the fake does not know)."""
        channel = body.get("channel") or body.get("channel_id")
        if isinstance(channel, str) and channel in self.channels:
            return self.channels[channel]
        if isinstance(channel, str):
            for users, dm in self._dms.items():
                if dm == channel and users in self.users:
                    return str(self.users[users]["team_id"])
        for key in ("user", "users", "user_id"):
            user = self.users.get(str(body.get(key)))
            if user is not None:
                return str(user["team_id"])
        if isinstance(channel, str) and channel in self.users:
            return str(self.users[channel]["team_id"])
        return None

    def _token(self, grant: _Grant) -> dict[str, Any]:
        n = next(self._seq)
        token = f"xoxb-{grant.team_id or grant.enterprise_id}-{n}"
        fields: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        expires = None
        if self.rotation:
            expires = time.time() + self.lifetime
            refresh = f"xoxe-1-{grant.team_id or grant.enterprise_id}-{n}"
            self._refresh[refresh] = _Grant(grant.team_id, grant.enterprise_id, None)
            fields |= {"refresh_token": refresh, "expires_in": self.lifetime}
        self._grants[token] = _Grant(grant.team_id, grant.enterprise_id, expires)
        return fields

    def _oauth_access(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("grant_type") == "refresh_token":
            grant = self._refresh.get(str(body.get("refresh_token")))
            if grant is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            return _ok(**self._token(grant))
        grant = self._codes.pop(str(body.get("code")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        workspace = self.workspaces.get(grant.team_id or "")
        team = {"id": workspace.team_id, "name": workspace.name} if workspace else None
        enterprise = grant.enterprise_id or (workspace.enterprise_id if workspace else None)
        grant = _Grant(grant.team_id, enterprise, None)
        return _ok(
            app_id=self.app_id,
            authed_user={"id": "U0INSTALLER"},
            scope=",".join(self.scopes),
            bot_user_id=self.bot_user_id,
            team=team,
            enterprise={"id": enterprise, "name": f"Org {enterprise}"} if enterprise else None,
            is_enterprise_install=grant.team_id is None,
            **self._token(grant),
        )

    def _token_auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        grant = self._calling
        return _ok(
            url="https://goalpulse-test.slack.com/",
            team="Goalpulse Test",
            user="goalpulse",
            team_id=grant.team_id,
            enterprise_id=grant.enterprise_id,
            user_id=self.bot_user_id,
            bot_id=self.bot_id,
            is_enterprise_install=grant.team_id is None,
        )
