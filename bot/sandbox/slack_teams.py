"""A local stand-in for Slack with one app installed in many workspaces (OAuth mode).

Each workspace is a ``SlackApi`` of its own (its people, channels, messages, records),
mounted under ``/t/<team id>/`` for what it hands out (response_urls, upload URLs, files).
Web API calls all arrive at one ``/api/`` as they do at slack.com: each is answered by the
workspace its token was issued for, and refused as Slack refuses them when the token is
unknown, revoked (uninstalled) or expired (token rotation). ``oauth.v2.access`` is answered
here: the code the authorize page hands out is exchanged for a bot token, and with rotation
on, a refresh token is exchanged for a new pair.

An Enterprise Grid organisation's org-wide install gets one token for all its workspaces;
its calls are answered by the workspace named in the call (``team_id``) or the first one.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.sandbox.identities import Person, Team
from bot.sandbox.local_server import Served
from bot.sandbox.recording import Call, Recorder
from bot.sandbox.slack_api import SlackApi, StartResponse, call_arguments, request_headers
from bot.sandbox.workspace import Workspace

SCOPE_SEPARATOR = ","


@dataclass(frozen=True)
class Grant:
    """What a code or a token was issued for: a workspace, or a Grid organisation."""

    target: str
    installer: str
    org_install: bool
    scopes: str


@dataclass
class Token:
    grant: Grant
    expires_at: float | None
    revoked: bool = False


class SlackTeams(Served, Recorder):
    """Slack for one distributed app; records the calls it answers itself (oauth.v2.access
    and refused calls). Each workspace's ``SlackApi`` records the calls it answered."""

    thread_name = "slack-teams"

    def __init__(
        self,
        *,
        client_id: str = "1111.2222",
        client_secret: str = "test-client-secret",
        app_id: str = "A1",
        rotation: bool = False,
        expires_in: int = 43200,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``rotation``: the app rotates tokens, each good for ``expires_in`` seconds by
        ``clock``, and comes with a refresh token."""
        super().__init__()
        self.client_id, self.client_secret, self.app_id = client_id, client_secret, app_id
        self.rotation, self.expires_in, self.clock = rotation, expires_in, clock
        self.teams: dict[str, SlackApi] = {}
        self.enterprises: dict[str, list[str]] = {}
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, Token] = {}
        self._refresh: dict[str, Grant] = {}
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self.methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
        """Methods Slack does not have, answered without a token (a benchmark's questions)."""

    # ---- the workspaces ------------------------------------------------------------------

    def add_team(
        self,
        team: Team,
        people: Iterable[Person] = (),
        *,
        channels: dict[str, str] | None = None,
        enterprise: str | None = None,
    ) -> SlackApi:
        """A workspace where the app can be installed, with its ``channels`` (id: name): the
        bot can post in those and in DMs only; ``enterprise``: its Grid organisation."""
        if enterprise is not None:
            team = replace(team, enterprise_id=enterprise)
            self.enterprises.setdefault(enterprise, []).append(team.id)
        team = replace(team, app_id=self.app_id)
        api = SlackApi(people, team=team, workspace=Workspace(channels=channels))
        api.answers.channels_checked = True
        self.teams[team.id] = api
        if self._base_url is not None:
            api.mount(f"{self._base_url}/t/{team.id}")
        return api

    def team(self, team_id: str) -> SlackApi:
        return self.teams[team_id]

    def all_calls(self) -> list[tuple[str, Call]]:
        """Every Web API call any workspace answered, with the workspace's id."""
        found = [(team_id, call) for team_id, api in self.teams.items() for call in api.calls]
        return sorted(found, key=lambda pair: pair[1].at)

    # ---- what Slack's pages and admins do ------------------------------------------------

    def authorize(
        self, authorize_url: str, target: str, installer: str, *, org_install: bool = False
    ) -> tuple[str, str]:
        """The installer approves the app on Slack's authorize page (``authorize_url``, as the
        bot's /slack/install links to it): the code and state Slack redirects back with.
        ``target``: the workspace's id, or the Grid organisation's for an org-wide install."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        if query.get("client_id") != self.client_id:
            raise ValueError(f"unknown client_id {query.get('client_id')!r}")
        if (target in self.enterprises) != org_install:
            raise ValueError("an org-wide install is made on an organisation, others on a team")
        code = f"code-{next(self._serial)}-{secrets.token_hex(6)}"
        with self._lock:
            self._codes[code] = Grant(target, installer, org_install, query.get("scope", ""))
        return code, query.get("state", "")

    def uninstall(self, target: str) -> None:
        """An admin removes the app: every token issued for ``target`` stops working."""
        with self._lock:
            for token in self._tokens.values():
                if token.grant.target == target:
                    token.revoked = True
            self._refresh = {k: g for k, g in self._refresh.items() if g.target != target}

    def expire(self, token: str) -> None:
        """``token`` has expired (rotation on): Slack answers ``token_expired``."""
        with self._lock:
            self._tokens[token].expires_at = self.clock() - 1

    def tokens_of(self, target: str) -> list[str]:
        """The bot tokens issued for ``target``, oldest first."""
        with self._lock:
            return [t for t, token in self._tokens.items() if token.grant.target == target]

    # ---- where it is served --------------------------------------------------------------

    def started(self, base_url: str) -> None:
        for team_id, api in self.teams.items():
            api.mount(f"{base_url}/t/{team_id}")

    @property
    def api_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the Slack stand-in is not started")
        return f"{self._base_url}/api/"

    # ---- serving -------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        kind, _, rest = path.strip("/").partition("/")
        if kind == "t":
            team_id, _, inner = rest.partition("/")
            api = self.teams.get(team_id)
            if api is not None and not self._private(inner, environ, team_id):
                return api({**environ, "PATH_INFO": f"/{inner}"}, start_response)
        if kind != "api" or not rest:
            return _reply(start_response, 404, {"ok": False, "error": "not found"})
        arrived = time.time()
        headers = request_headers(environ)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        args = call_arguments(headers, body, environ.get("QUERY_STRING", ""))
        if rest in self.methods:
            return _reply(start_response, 200, self.methods[rest](args))
        if rest == "oauth.v2.access":
            answer = self._oauth_access(args, headers)
            self.record_call(Call(rest, _redacted(args), _redacted_auth(headers), arrived, 200))
            return _reply(start_response, 200, answer)
        token = str(args.get("token") or headers.get("authorization", "").removeprefix("Bearer "))
        team_id, refused = self._team_for(token, args)
        if refused is not None:
            self.record_call(Call(rest, args, headers, arrived, 200))
            return _reply(start_response, 200, {"ok": False, "error": refused})
        api = self.teams[team_id]
        inner = {**environ, "wsgi.input": BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        if rest == "auth.test" and self._grant(token).org_install:
            return _reply(start_response, 200, self._org_auth_test(api.team))
        return api(inner, start_response)

    def _private(self, inner: str, environ: dict[str, Any], team_id: str) -> bool:
        """A file's url_private is downloaded with a token of its own workspace only."""
        if not inner.startswith("files/"):
            return False
        token = request_headers(environ).get("authorization", "").removeprefix("Bearer ")
        found, refused = self._team_for(token, {"team_id": team_id})
        return refused is not None or found != team_id

    def _grant(self, token: str) -> Grant:
        with self._lock:
            return self._tokens[token].grant

    def _team_for(self, token: str, args: dict[str, Any]) -> tuple[str, str | None]:
        """The workspace that answers a call with ``token``, or Slack's error refusing it."""
        if not token:
            return "", "not_authed"
        with self._lock:
            found = self._tokens.get(token)
        if found is None or found.revoked:
            return "", "invalid_auth" if found is None else "token_revoked"
        if found.expires_at is not None and found.expires_at <= self.clock():
            return "", "token_expired"
        grant = found.grant
        if not grant.org_install:
            return grant.target, None
        members = self.enterprises[grant.target]
        asked = str(args.get("team_id") or "")
        return (asked if asked in members else members[0]), None

    def _org_auth_test(self, team: Team) -> dict[str, Any]:
        """auth.test of an org-wide token: the organisation, no workspace."""
        return {
            "ok": True,
            "url": f"https://{team.enterprise_id}.enterprise.slack.com/",
            "team": "Grid",
            "user": "licensebot",
            "team_id": None,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "enterprise_id": team.enterprise_id,
            "is_enterprise_install": True,
        }

    def _oauth_access(self, args: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        client_id, client_secret = _client_credentials(args, headers)
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        with self._lock:
            if args.get("grant_type") == "refresh_token":
                grant = self._refresh.pop(str(args.get("refresh_token")), None)
                if grant is None:
                    return {"ok": False, "error": "invalid_refresh_token"}
            else:
                grant = self._codes.pop(str(args.get("code")), None)
                if grant is None:
                    return {"ok": False, "error": "invalid_code"}
            return self._issue(grant, refreshed=args.get("grant_type") == "refresh_token")

    def _issue(self, grant: Grant, *, refreshed: bool) -> dict[str, Any]:
        """A new bot token for ``grant`` (held: the lock), answered as oauth.v2.access does."""
        token = f"xoxb-{grant.target}-{next(self._serial)}-{secrets.token_hex(8)}"
        if self.rotation:
            token = token.replace("xoxb-", "xoxe.xoxb-1-", 1)
        expires_at = self.clock() + self.expires_in if self.rotation else None
        self._tokens[token] = Token(grant, expires_at)
        home = self.teams[
            self.enterprises[grant.target][0] if grant.org_install else grant.target
        ].team
        answer: dict[str, Any] = {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": grant.scopes,
            "bot_user_id": home.bot_user_id,
            "app_id": self.app_id,
            "team": None if grant.org_install else {"id": home.id, "name": home.name},
            "enterprise": (
                {"id": home.enterprise_id, "name": "Grid"} if home.enterprise_id else None
            ),
            "is_enterprise_install": grant.org_install,
        }
        if not refreshed:
            answer["authed_user"] = {"id": grant.installer}
        if self.rotation:
            refresh = f"xoxe-1-{secrets.token_hex(12)}"
            self._refresh[refresh] = grant
            answer.update(refresh_token=refresh, expires_in=self.expires_in)
        return answer


def _client_credentials(args: dict[str, Any], headers: dict[str, str]) -> tuple[str, str]:
    """The app's id and secret: in the form, or in HTTP basic auth as slack-sdk sends them."""
    auth = headers.get("authorization", "")
    if auth.startswith("Basic "):
        client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        return client_id, secret
    return str(args.get("client_id", "")), str(args.get("client_secret", ""))


def _redacted(args: dict[str, Any]) -> dict[str, Any]:
    return {k: ("***" if k in {"client_secret", "refresh_token"} else v) for k, v in args.items()}


def _redacted_auth(headers: dict[str, str]) -> dict[str, str]:
    """The headers with the app's secret masked: HTTP basic auth kept as ``Basic <client
    id>:***`` (decoded), so a test sees which app asked and never the secret."""
    auth = headers.get("authorization", "")
    if not auth.startswith("Basic "):
        return headers
    client_id = base64.b64decode(auth[6:]).decode(errors="replace").partition(":")[0]
    return {**headers, "authorization": f"Basic {client_id}:***"}


def _reply(start_response: StartResponse, status: int, data: dict[str, Any]) -> list[bytes]:
    body = json.dumps(data).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
