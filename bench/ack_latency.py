"""Benchmark: how fast licensebot acknowledges Slack and answers the person, against a bare
Bolt app on the same machine.

Slack gives an app 3 seconds to acknowledge a slash command or a click, and the bot's rule is
"ack first, work after". The ack is what Slack sees; the answer (the ephemeral reply on the
response_url, the modal views.open shows) is what the person sees. This measures both, and
whether the work after one ack delays the acks and answers of the requests behind it. Four
processes, so no two of them share an interpreter lock:

- the Slack stand-in (bot.sandbox.slack_api), answering the Web API and response_urls and
  recording when each answer arrives, keyed by the request it answers (the serial is in the
  response_url's name and in the trigger id);
- licensebot as `licensebot run --http` serves it (bot.app + bot.server, migrated SQLite
  file in a temporary directory, a customer with a subscription, a card and a decided
  approval request), its Web API pointed at the stand-in;
- a bare Bolt app behind the same server whose listeners ack and whose lazy listeners make
  the same answering call (a small ephemeral reply, or views.open with a small modal);
- this process, which sends signed slash commands (`/license status`, `/license balance`)
  and button clicks (the App Home's Buy button, and Approve on an already decided request),
  each on a new connection as Slack does, to each app in turn, under two loads:
  1. bursts of 50 concurrent requests of one kind, for several rounds, waiting for every
     answer between rounds;
  2. a steady 100 requests/s for 30 s, open loop (each request leaves on schedule whatever
     the answers do), the four requests in turn.

With ``--workspaces N`` (default 50) a third app runs: licensebot in OAuth mode, installed
in N workspaces of the multi-workspace stand-in (bot.sandbox.slack_teams, a process of its
own) through its real install flow, each workspace a customer seeded as above, the requests
spread over the N workspaces, so each pays its installation's token lookup (Bolt finds the
bot in the database and calls auth.test with it). Its figures are reported as ratios to the
single-workspace licensebot's.

It prints p50 / p99 of the ack latency (request sent -> its HTTP answer) and of the answer
latency (request sent -> the answer reaching the stand-in, both clocks this machine's
time.time()) per app, kind and load, the ratios licensebot / bare (target <= 1.3), the
slowest ack (Slack's limit: 3 s), and under the steady load how long after the last request
the last answer arrived, how many answers never arrived within 10 s, and whether the answer
p99 stays under 1 s.

    python bench/ack_latency.py [--rounds 8] [--burst 50] [--rate 100] [--seconds 30]
                                [--workspaces 50]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import itertools
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.identities import Person
from bot.sandbox.signing import sign

if TYPE_CHECKING:
    from services.context import Services
    from storage.store import SqlStore

SECRET = "bench-signing-secret-0123456789"
TOKEN = "xoxb-bench-000-token"
SUPER, ADMIN = "USUPER", "UADMIN"
USERS = (
    Person(SUPER, "ada@acme.example", "ada"),
    Person(ADMIN, "grace@acme.example", "grace", is_admin=True),
)
TEAM = "T1"
APPS = ("licensebot", "bare")
INSTALLED = "installed"
"""licensebot in OAuth mode, installed in many workspaces."""
CLIENT_ID, CLIENT_SECRET = "1111.2222", "bench-client-secret"
KINDS = ("command", "click")
LATE = 10.0
"""Seconds after which an answer counts as never arrived."""
DRAIN = 60.0
"""Seconds to wait, after a load, for the answers still owed before the next one starts."""


# ---- the three servers, each in its own process ------------------------------------------


def serve_slack() -> None:
    """The stand-in, with two methods of its own: how many requests have been answered, and
    when each answer arrived ({serial: time.time()}, the first answer of each request)."""
    from bot.sandbox.slack_api import SlackApi

    slack = SlackApi(USERS).start()

    def arrivals() -> dict[int, float]:
        return _arrivals(slack)

    slack.add_method("bench.count", lambda _args: {"ok": True, "answered": len(arrivals())})
    slack.add_method("bench.arrivals", lambda _args: {"ok": True, "arrivals": arrivals()})
    ready(slack.base_url)


def serve_teams(count: str) -> None:
    """The multi-workspace stand-in: ``count`` workspaces T1..Tn, each with the same people,
    and the benchmark's methods over all of them, plus one that plays Slack's authorize page."""
    from bot.sandbox.identities import Team
    from bot.sandbox.slack_teams import SlackTeams

    teams = SlackTeams(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    for k in range(1, int(count) + 1):
        team = Team(f"T{k}", f"ws{k}", f"Workspace {k}", bot_user_id=f"UBOT{k}", bot_id=f"B{k}")
        teams.add_team(team, USERS)
    teams.start()

    def arrivals() -> dict[int, float]:
        found: dict[int, float] = {}
        for api in teams.teams.values():
            found.update(_arrivals(api))
        return found

    def authorize(args: dict[str, Any]) -> dict[str, Any]:
        code, state = teams.authorize(str(args["url"]), str(args["team"]), SUPER)
        return {"ok": True, "code": code, "state": state}

    teams.methods["bench.count"] = lambda _args: {"ok": True, "answered": len(arrivals())}
    teams.methods["bench.arrivals"] = lambda _args: {"ok": True, "arrivals": arrivals()}
    teams.methods["bench.authorize"] = authorize
    ready(teams.api_url.removesuffix("/api/"))


def _arrivals(slack: Any) -> dict[int, float]:
    """When each request's first answer reached ``slack`` (a SlackApi): {serial: time}."""
    found: dict[int, float] = {}
    for post in slack.posts():  # response_urls are named c<serial> or a<serial>
        found.setdefault(int(post.name[1:]), post.at)
    for call in slack.calls:  # trigger ids start with <serial>.
        if call.method == "views.open" and call.status == 200:
            found.setdefault(int(str(call.args["trigger_id"]).split(".")[0]), call.at)
    return found


def serve_installed(teams_url: str, folder: str) -> None:
    """licensebot in OAuth mode, as `licensebot run --http` assembles it with SLACK_CLIENT_ID
    and SLACK_CLIENT_SECRET; installed by ``install`` once it serves."""
    from bot.app import build_app, services
    from bot.config import Settings
    from bot.server import serve
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.store import SqlStore

    engine = make_engine(f"sqlite:///{folder}/installed.sqlite3")
    upgrade(engine=engine)
    settings = Settings(
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=f"{teams_url}/api/",
    )  # type: ignore[call-arg]
    store = SqlStore(engine, workers=0)
    found = services(settings, store)
    server = serve(build_app(settings, found), engine, SECRET, 0, host="127.0.0.1").start()
    ready(f"http://127.0.0.1:{server.port}/slack/events")


def install(bot_url: str, teams_url: str, count: int, folder: str) -> None:
    """Install the OAuth bot in every workspace as a browser does (install page, Slack's
    authorize page, redirect with code and state cookie), then seed each customer."""
    import urllib.request

    from storage.db import make_engine
    from storage.store import SqlStore
    from storage.workspaces import SqlWorkspaces

    base = bot_url.removesuffix("/slack/events")
    for k in range(1, count + 1):
        with urllib.request.urlopen(f"{base}/slack/install", timeout=30) as page:
            html, cookie = page.read().decode(), page.headers["Set-Cookie"].split(";")[0]
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', html)
        assert link is not None, html
        url = link[1].replace("&amp;", "&")
        grant = ask_slack(teams_url, "bench.authorize", {"url": url, "team": f"T{k}"})
        redirect = f"{base}/slack/oauth_redirect?code={grant['code']}&state={grant['state']}"
        request = urllib.request.Request(redirect, headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=30) as done:
            assert done.status == 200
    engine = make_engine(f"sqlite:///{folder}/installed.sqlite3")
    store = SqlStore(engine, workers=0)
    workspaces = SqlWorkspaces(store)
    for k in range(1, count + 1):
        customer = workspaces.customer_of(f"T{k}")
        assert customer is not None
        seed_customer(store, customer, approval_id=k)
    engine.dispose()


def serve_licensebot(slack_url: str, folder: str) -> None:
    """licensebot assembled as `licensebot run --http` assembles it: the one place here that
    knows how (the assembly is being reworked; keep this small)."""
    from bot.app import build_app, services
    from bot.config import Settings
    from bot.server import serve
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.store import SqlStore

    engine = make_engine(f"sqlite:///{folder}/licensebot.sqlite3")
    upgrade(engine=engine)  # as `licensebot run` does at start
    settings = Settings(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=f"{slack_url}/api/",
        LICENSEBOT_SUPER_ADMINS=SUPER,
        LICENSEBOT_BILLING_CHANNEL="CBILLING",
        LICENSEBOT_APPROVALS_CHANNEL="CAPPROVALS",
        LICENSEBOT_DOMAIN="acme.example",
    )  # type: ignore[call-arg]
    store = SqlStore(engine, workers=0)
    found = services(settings, store)
    seed(found, store)
    server = serve(build_app(settings, found), engine, SECRET, 0, host="127.0.0.1").start()
    ready(f"http://127.0.0.1:{server.port}/slack/events")


def seed(found: Services, store: SqlStore) -> None:
    customer = found.workspaces.customer_id(TEAM, "acme.example", datetime.now(UTC))
    assert customer is not None
    seed_customer(store, customer, approval_id=1)


def seed_customer(store: SqlStore, customer: int, approval_id: int) -> None:
    """A customer with a subscription and a card (so status and balance have something to
    say), and an approval request already denied (so Approve answers "already decided")."""
    from sqlalchemy import insert

    from billing import commands as cmd
    from billing.actors import Actor
    from services.billing import Billing
    from storage.models import ApprovalRow, table_of

    now = datetime.now(UTC)
    bench = Actor.system("bench")
    billing = Billing(store)
    signup = cmd.Signup(
        subscription="chrome",
        product="Chrome Enterprise Upgrade",
        plan="annual",  # type: ignore[arg-type]
        licences=25,
        price="50.00",  # type: ignore[arg-type]
    )
    billing.order(customer, signup, at=now, actor=bench)
    card = cmd.SetupBilling.model_validate(
        {"card": {"brand": "visa", "last4": "4242", "expires": "2099-12"}}
    )
    billing.order(customer, card, at=now, actor=bench)
    with store.engine.begin() as connection:
        connection.execute(
            insert(table_of(ApprovalRow)),
            {
                "id": approval_id,
                "customer_id": customer,
                "requested_by": ADMIN,
                "requested_at": now,
                "request_key": "bench",
                "action": "pay",
                "order": {"amount": "25.00"},
                "locale": "en",
                "status": "denied",
                "decided_by": SUPER,
                "decided_at": now,
            },
        )


def serve_bare(slack_url: str) -> None:
    """Bolt as its documentation shows it: ack in the listener, answer in a lazy listener."""
    from slack_bolt import Ack, App, Respond
    from slack_sdk import WebClient

    from bot.server import serve
    from storage.db import MEMORY_URL, make_engine

    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=f"{slack_url}/api/"),
        raise_error_for_unhandled_request=False,
    )
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Buy licences"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "How many?"}}],
    }

    def acknowledge(ack: Ack) -> None:
        ack()

    def reply(respond: Respond) -> None:
        respond(text="Done.", response_type="ephemeral", replace_original=False)

    def answer_click(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        if body["actions"][0]["action_id"] == "open_buy":
            client.views_open(trigger_id=body["trigger_id"], view=modal)
        else:
            reply(respond)

    app.command("/license")(ack=acknowledge, lazy=[reply])
    app.action(re.compile(".*"))(ack=acknowledge, lazy=[answer_click])
    server = serve(app, make_engine(MEMORY_URL), SECRET, 0, host="127.0.0.1").start()
    ready(f"http://127.0.0.1:{server.port}/slack/events")


def ready(url: str) -> None:
    print(url, flush=True)
    threading.Event().wait()


# ---- the requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Where a request comes from: its workspace, the stand-in base its response_urls are
    under, and that workspace's decided approval request."""

    team: str
    slack: str
    approval: int = 1


def command_body(n: int, text: str, where: Where) -> bytes:
    return urlencode(
        {
            "token": "x",
            "team_id": where.team,
            "team_domain": where.team.lower(),
            "channel_id": "C1",
            "user_id": SUPER,
            "user_name": "ada",
            "command": "/license",
            "text": text,
            "api_app_id": "A1",
            "response_url": f"{where.slack}/response/c{n}",
            "trigger_id": f"{n}.{int(time.time())}.bench",
        }
    ).encode()


def click_body(n: int, action_id: str, value: str, where: Where) -> bytes:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": SUPER, "username": "ada", "team_id": where.team},
        "api_app_id": "A1",
        "token": "x",
        "team": {"id": where.team, "domain": where.team.lower()},
        "trigger_id": f"{n}.{int(time.time())}.bench",
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value}],
    }
    if action_id == "open_buy":
        payload["container"] = {"type": "view", "view_id": "VHOME"}
        payload["view"] = {"id": "VHOME", "type": "home", "blocks": []}
    else:
        payload["container"] = {"type": "message", "message_ts": "1.1", "channel_id": "C1"}
        payload["channel"] = {"id": "CAPPROVALS"}
        payload["message"] = {"ts": "1.1", "text": "Approval requested"}
        payload["response_url"] = f"{where.slack}/response/a{n}"
    return urlencode({"payload": json.dumps(payload)}).encode()


REQUESTS = {
    "status": "command",
    "balance": "command",
    "open_buy": "click",
    "approval_approve": "click",
}
"""The four requests and their kinds: two slash commands, two buttons."""


def request(n: int, name: str, where: Where) -> bytes:
    """Request number ``n``: `/license <name>`, or a click on the button ``name``."""
    if REQUESTS[name] == "command":
        return command_body(n, name, where)
    value = str(where.approval) if name == "approval_approve" else ""
    return click_body(n, name, value, where)


def headers_for(body: bytes) -> dict[str, str]:
    stamp = int(time.time())
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(body, stamp, SECRET),
    }


@dataclass(frozen=True)
class Sent:
    """One request: when it left (time.time(), to pair with the stand-in's arrival times),
    how long its ack took (seconds; inf when it failed) and the HTTP status (0: no answer)."""

    serial: int
    kind: str
    at: float
    ack: float
    status: int


# ---- sending: bursts from threads released together, a steady rate from an event loop -----


def post(url: str, serial: int, kind: str, body: bytes) -> Sent:
    """Send one signed request on a new connection (as Slack does)."""
    parts = urlsplit(url)
    headers = headers_for(body)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    at, started = time.time(), time.perf_counter()
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    elapsed = time.perf_counter() - started
    connection.close()
    return Sent(serial, kind, at, elapsed if status == 200 else math.inf, status)


def burst(url: str, requests: list[tuple[int, str, bytes]]) -> list[Sent]:
    """All requests at once, from as many threads released together."""
    sent: list[Sent | None] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def send(i: int) -> None:
        start.wait()
        sent[i] = post(url, *requests[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [s for s in sent if s is not None]


async def signed_post(url: str, body: bytes) -> tuple[float, float, int, bytes]:
    """POST `body` signed as Slack signs, on the event loop, the connection closed by the
    server once it has answered: (sent at, seconds to the answer, status, raw answer)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = [f"POST {parts.path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers_for(body).items()]
    head.append(f"Content-Length: {len(body)}")
    at, started = time.time(), time.perf_counter()
    status, answer, writer = 0, b"", None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 30)
        status = int(answer.split(b" ", 2)[1])
    except (OSError, TimeoutError, ValueError, IndexError):
        status = 0
    finally:
        if writer is not None:
            writer.close()
    return at, time.perf_counter() - started, status, answer


async def post_async(url: str, serial: int, kind: str, body: bytes) -> Sent:
    """``post`` for the event loop."""
    at, elapsed, status, _ = await signed_post(url, body)
    return Sent(serial, kind, at, elapsed if status == 200 else math.inf, status)


def steady(
    url: str, requests: Iterator[tuple[int, str, bytes]], rate: float, seconds: float
) -> list[Sent]:
    """Open loop: request i leaves at start + i / rate, however the earlier ones fare."""

    async def load() -> list[Sent]:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05
        tasks = []
        for i in range(round(rate * seconds)):
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post_async(url, *next(requests))))
        return await asyncio.gather(*tasks)

    return asyncio.run(load())


# ---- what reached the stand-in ---------------------------------------------------------------


def ask_slack(slack: str, method: str, args: dict[str, str] | None = None) -> dict[str, Any]:
    parts = urlsplit(slack)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    connection.request(
        "POST",
        f"/api/{method}",
        body=urlencode({"token": "x", **(args or {})}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    answer: dict[str, Any] = json.loads(connection.getresponse().read())
    connection.close()
    return answer


def arrivals(slack: str) -> dict[int, float]:
    return {
        int(serial): at for serial, at in ask_slack(slack, "bench.arrivals")["arrivals"].items()
    }


def settle(slack: str, expected: int, until: float) -> bool:
    """Wait until every request sent so far is answered (each gets exactly one answer), or
    ``until`` (time.time()); whether they all were."""
    while ask_slack(slack, "bench.count")["answered"] < expected:
        if time.time() > until:
            return False
        time.sleep(0.05)
    return True


# ---- the two loads ---------------------------------------------------------------------------


@dataclass
class Figures:
    """One app and kind under one load: ack and answer latencies (seconds, inf: none)."""

    acks: list[float]
    answers: list[float]

    @property
    def missing(self) -> int:
        return sum(1 for a in self.answers if math.isinf(a))


Results = dict[tuple[str, str], Figures]


@dataclass(frozen=True)
class Tail:
    """After a steady load: when the last answer came (seconds after the last request),
    and how many requests got no answer at all, even after ``DRAIN``."""

    last: float
    unanswered: int


def measured(sent: list[Sent], arrived: dict[int, float], results: Results, app: str) -> None:
    for one in sent:
        late = arrived.get(one.serial, math.inf) - one.at
        figures = results.setdefault((app, one.kind), Figures([], []))
        figures.acks.append(one.ack)
        figures.answers.append(late if late <= LATE else math.inf)


@dataclass(frozen=True)
class Target:
    """An app under test: where it listens, the stand-in it answers through, and where
    request number n comes from."""

    url: str
    slack: str
    where: Callable[[int], Where]


class Bench:
    def __init__(self, targets: dict[str, Target]) -> None:
        self.targets = targets
        self.apps = list(targets)
        self.serials = itertools.count(1)
        self.sent: dict[str, int] = {}
        """Requests sent so far, by the stand-in that sees their answers."""

    def requests(self, app: str, names: Iterator[str]) -> Iterator[tuple[int, str, bytes]]:
        """(serial, kind, body) of each named request, numbered across the whole run."""
        where = self.targets[app].where
        for name in names:
            n = next(self.serials)
            yield n, REQUESTS[name], request(n, name, where(n))

    def settled(self, app: str, sent: list[Sent], until: float) -> dict[int, float]:
        """Wait for the answers owed (or ``until``); when each answer of the stand-in came."""
        slack = self.targets[app].slack
        self.sent[slack] = self.sent.get(slack, 0) + len(sent)
        settle(slack, self.sent[slack], until)
        return arrivals(slack)

    def bursts(self, rounds: int, size: int) -> Results:
        results: Results = {}
        for number in range(rounds + 1):  # round 0 warms up (imports, caches, first users.info)
            for kind in KINDS:
                for app in self.apps:
                    names = itertools.cycle(n for n, k in REQUESTS.items() if k == kind)
                    load = list(itertools.islice(self.requests(app, names), size))
                    sent = burst(self.targets[app].url, load)
                    arrived = self.settled(app, sent, time.time() + DRAIN)  # rounds don't overlap
                    if number:
                        measured(sent, arrived, results, app)
        return results

    def steady(self, rate: float, seconds: float) -> tuple[Results, dict[str, Tail]]:
        """Each app in turn, the four requests in turn; every answer owed by one app lands
        (or ``DRAIN`` passes) before the next app's load starts."""
        results: Results = {}
        tails: dict[str, Tail] = {}
        for app in self.apps:
            names = itertools.cycle(("status", "open_buy", "balance", "approval_approve"))
            sent = steady(self.targets[app].url, self.requests(app, names), rate, seconds)
            stopped = max(s.at for s in sent)
            arrived = self.settled(app, sent, stopped + DRAIN)
            measured(sent, arrived, results, app)
            last = max(arrived.get(s.serial, stopped) for s in sent)
            tails[app] = Tail(last - stopped, sum(1 for s in sent if s.serial not in arrived))
        return results, tails


# ---- the report --------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    """A table cell: milliseconds, or "none" for an answer that never came within LATE."""
    return f"{'none' if math.isinf(seconds) else f'{seconds * 1000:.1f}':>11}"


def spoken(seconds: float) -> str:
    return f"over {LATE:.0f} s" if math.isinf(seconds) else f"{seconds * 1000:.0f} ms"


def table(results: Results) -> None:
    columns = ("ack p50", "ack p99", "answer p50", "answer p99", f"none {LATE:.0f} s")
    print(f"{'':22}" + "".join(f"{c:>11}" for c in columns))
    for app in dict.fromkeys(app for app, _ in results):
        for kind in KINDS:
            f = results[(app, kind)]
            print(
                f"{app + ' ' + kind + 's':22}{ms(statistics.median(f.acks))}"
                f"{ms(percentile(f.acks, 99))}{ms(statistics.median(f.answers))}"
                f"{ms(percentile(f.answers, 99))}{f.missing:>11}"
            )


def ratio(real: float, bare: float) -> str:
    if math.isinf(real) or math.isinf(bare) or bare == 0:
        return "none" if math.isinf(real) and not math.isinf(bare) else "n/a"
    return f"{real / bare:.2f}"


def ratios(results: Results) -> None:
    pairs = [("licensebot", "bare", " (target <= 1.3)")]
    if any(app == INSTALLED for app, _ in results):
        pairs.append((INSTALLED, "licensebot", ""))
    for ours_app, theirs_app, target in pairs:
        for kind in KINDS:
            real, other = results[(ours_app, kind)], results[(theirs_app, kind)]
            parts = []
            for name, ours, theirs in (
                ("ack", real.acks, other.acks),
                ("answer", real.answers, other.answers),
            ):
                for p in (50, 99):
                    found = ratio(percentile(ours, p), percentile(theirs, p))
                    parts.append(f"{name} p{p} {found}")
            print(f"ratio {ours_app}/{theirs_app}, {kind}s: {', '.join(parts)}{target}")


def report_bursts(results: Results, rounds: int, size: int) -> None:
    print(f"\n1. bursts: {rounds} rounds of {size} concurrent requests per app and kind (ms)")
    table(results)
    ratios(results)
    slowest = max(max(f.acks) for f in results.values())
    print(f"slowest ack: {spoken(slowest)} (Slack's limit: 3000 ms)")


def report_steady(results: Results, tails: dict[str, Tail], rate: float, seconds: float) -> None:
    print(f"\n2. steady: {rate:g} requests/s for {seconds:g} s per app, open loop (ms)")
    table(results)
    ratios(results)
    slowest = max(max(f.acks) for f in results.values())
    print(f"slowest ack: {spoken(slowest)} (Slack's limit: 3000 ms)")
    for app in tails:
        answers = [a for kind in KINDS for a in results[(app, kind)].answers]
        missing = sum(1 for a in answers if math.isinf(a))
        p99 = percentile(answers, 99)
        tail = tails[app]
        unanswered = f" ({tail.unanswered} never at all)" if tail.unanswered else ""
        print(
            f"{app}: last answer {tail.last * 1000:.0f} ms after the load stopped; "
            f"{missing} of {len(answers)} never arrived within {LATE:.0f} s{unanswered}; "
            f"answer p99 {spoken(p99)}, under 1 s at {rate:g} requests/s: "
            f"{'yes' if p99 < 1 else 'no'}"
        )


# ---- running it --------------------------------------------------------------------------------


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("http"):
        process.kill()
        raise RuntimeError(f"{args[1]} did not start")
    return process, line


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="burst rounds (0: no bursts)")
    parser.add_argument("--burst", type=int, default=50, help="requests per burst")
    parser.add_argument("--rate", type=float, default=100, help="steady requests per second")
    parser.add_argument("--seconds", type=float, default=30, help="steady load per app (0: none)")
    parser.add_argument(
        "--workspaces", type=int, default=50, help="OAuth installations (0: no such app)"
    )
    options = parser.parse_args()
    processes: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            fake, slack = start("--serve", "slack")
            processes.append(fake)
            real, real_url = start("--serve", "licensebot", slack, folder)
            processes.append(real)
            bare, bare_url = start("--serve", "bare", slack)
            processes.append(bare)
            one = Target(real_url, slack, lambda _n: Where(TEAM, slack))
            targets = {"licensebot": one, "bare": Target(bare_url, slack, one.where)}
            if options.workspaces:
                many, teams = start("--serve", "teams", str(options.workspaces))
                processes.append(many)
                oauth, oauth_url = start("--serve", "installed", teams, folder)
                processes.append(oauth)
                install(oauth_url, teams, options.workspaces, folder)
                count = options.workspaces

                def spread(n: int) -> Where:
                    k = 1 + n % count
                    return Where(f"T{k}", f"{teams}/t/T{k}", approval=k)

                targets[INSTALLED] = Target(oauth_url, teams, spread)
                print(f"{INSTALLED}: licensebot in OAuth mode, installed in {count} workspaces")
            bench = Bench(targets)
            if options.rounds:
                report_bursts(
                    bench.bursts(options.rounds, options.burst), options.rounds, options.burst
                )
            if options.seconds:
                results, tails = bench.steady(options.rate, options.seconds)
                report_steady(results, tails, options.rate, options.seconds)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        kind, rest = sys.argv[2], sys.argv[3:]
        servers: dict[str, Callable[..., None]] = {
            "slack": serve_slack,
            "licensebot": serve_licensebot,
            "bare": serve_bare,
            "teams": serve_teams,
            "installed": serve_installed,
        }
        servers[kind](*rest)
    else:
        main()
