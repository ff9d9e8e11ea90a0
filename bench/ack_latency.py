"""Benchmark: how fast licensebot acknowledges Slack, against a bare Bolt app on the same machine.

Slack gives an app 3 seconds to acknowledge a slash command or a click, and the bot's rule is
"ack first, work after". This measures whether the work after the ack delays the acks of the
requests behind it. Four processes, so no two of them share an interpreter lock:

- the Slack stand-in (bot.sandbox.slack_api), answering the Web API and response_urls;
- licensebot as `licensebot run --http` serves it (bot.app + bot.server, migrated SQLite
  file in a temporary directory, a customer with a subscription, a card and a decided
  approval request), its Web API pointed at the stand-in;
- a bare Bolt app behind the same server whose listeners only ack;
- this process, which sends bursts of 50 concurrent signed slash commands (`/license status`,
  `/license balance`) and 50 concurrent button clicks (the App Home's Buy button, and
  Approve on an already decided request) to each app in turn, for several rounds, waits
  for licensebot's answers to land between rounds, and prints p50 / p99 ack latency per
  app and kind, the ratios licensebot / bare (target <= 1.3), and the slowest ack
  (Slack's limit: 3 s).

    python bench/ack_latency.py [--rounds 8] [--burst 50]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.identities import Person
from bot.sandbox.signing import sign

SECRET = "bench-signing-secret-0123456789"
TOKEN = "xoxb-bench-000-token"
SUPER, ADMIN = "USUPER", "UADMIN"
USERS = (
    Person(SUPER, "ada@acme.example", "ada"),
    Person(ADMIN, "grace@acme.example", "grace", is_admin=True),
)
TEAM = "T1"


# ---- the three servers, each in its own process ------------------------------------------


def serve_slack() -> None:
    """The Web API stand-in, with one extra method telling how many answers it received."""
    from bot.sandbox.slack_api import SlackApi

    slack = SlackApi(USERS).start()

    def count(_args: dict[str, Any]) -> dict[str, Any]:
        opened = len(slack.calls_to("views.open"))
        return {"ok": True, "answers": len(slack.responses()) + opened}

    slack.add_method("bench.count", count)
    ready(slack.base_url)


def serve_licensebot(slack_url: str, folder: str) -> None:
    from sqlalchemy import insert

    from billing import commands as cmd
    from bot.app import build_app, services
    from bot.config import Settings
    from bot.server import serve
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.models import ApprovalRow

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
    deps = services(settings, engine)
    now = datetime.now(UTC)
    customer = deps.workspaces.customer(TEAM, "acme.example", now).id
    signup = cmd.Signup(
        subscription="chrome",
        product="Chrome Enterprise Upgrade",
        plan="annual",  # type: ignore[arg-type]
        licences=25,
        price="50.00",  # type: ignore[arg-type]
    )
    deps.billing.signup(customer, signup, at=now, actor="bench")
    card = cmd.SetupBilling.model_validate(
        {"card": {"brand": "visa", "last4": "4242", "expires": "2099-12"}}
    )
    deps.billing.setup_billing(customer, card, at=now, actor="bench")
    with engine.begin() as connection:
        connection.execute(
            insert(ApprovalRow.__table__),
            {
                "id": 1,
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
    server = serve(build_app(deps), engine, 0, host="127.0.0.1")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ready(f"http://127.0.0.1:{server.server_port}/slack/events")


def serve_bare(slack_url: str) -> None:
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.server import serve
    from storage.db import MEMORY_URL, make_engine

    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=f"{slack_url}/api/"),
        raise_error_for_unhandled_request=False,
    )

    @app.command("/license")
    def command(ack: Ack) -> None:
        ack()

    @app.action(re.compile(".*"))
    def action(ack: Ack) -> None:
        ack()

    server = serve(app, make_engine(MEMORY_URL), 0, host="127.0.0.1")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ready(f"http://127.0.0.1:{server.server_port}/slack/events")


def ready(url: str) -> None:
    print(url, flush=True)
    threading.Event().wait()


# ---- the load ------------------------------------------------------------------------------


def command_body(n: int, text: str, slack: str) -> bytes:
    return urlencode(
        {
            "token": "x",
            "team_id": TEAM,
            "team_domain": "acme",
            "channel_id": "C1",
            "user_id": SUPER,
            "user_name": "ada",
            "command": "/license",
            "text": text,
            "api_app_id": "A1",
            "response_url": f"{slack}/response/c{n}",
            "trigger_id": f"{n}.{int(time.time())}.bench",
        }
    ).encode()


def click_body(n: int, action_id: str, value: str, slack: str) -> bytes:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": SUPER, "username": "ada", "team_id": TEAM},
        "api_app_id": "A1",
        "token": "x",
        "team": {"id": TEAM, "domain": "acme"},
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
        payload["response_url"] = f"{slack}/response/a{n}"
    return urlencode({"payload": json.dumps(payload)}).encode()


def post(url: str, body: bytes) -> float:
    """Send one signed request on a new connection (as Slack does); seconds to its answer."""
    parts = urlsplit(url)
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(body, stamp, SECRET),
    }
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    started = time.perf_counter()
    connection.request("POST", parts.path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{url} answered {response.status}")
    return elapsed


def burst(url: str, bodies: list[bytes]) -> list[float]:
    """All bodies at once, from as many threads released together."""
    times: list[float] = [0.0] * len(bodies)
    start = threading.Barrier(len(bodies))

    def send(i: int) -> None:
        start.wait()
        times[i] = post(url, bodies[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def answers(slack: str) -> int:
    parts = urlsplit(slack)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(
        "POST",
        "/api/bench.count",
        body=b"token=x",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    count = int(json.loads(connection.getresponse().read())["answers"])
    connection.close()
    return count


def settle(slack: str, expected: int, timeout: float = 60.0) -> None:
    """Wait until licensebot has answered every request so far: rounds do not overlap."""
    deadline = time.monotonic() + timeout
    while answers(slack) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"licensebot answered {answers(slack)} of {expected} requests")
        time.sleep(0.02)


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


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--burst", type=int, default=50)
    options = parser.parse_args()
    processes = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            fake, slack = start("--serve", "slack")
            processes.append(fake)
            real, real_url = start("--serve", "licensebot", slack, folder)
            processes.append(real)
            bare, bare_url = start("--serve", "bare", slack)
            processes.append(bare)
            results = run(options.rounds, options.burst, slack, real_url, bare_url)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)
    report(results, options.rounds, options.burst)


Load = Callable[[int], bytes]


def run(
    rounds: int, size: int, slack: str, real_url: str, bare_url: str
) -> dict[tuple[str, str], list[float]]:
    serial = iter(range(10**9))

    def commands(n: int) -> bytes:
        return command_body(n, ("status", "balance")[n % 2], slack)

    def clicks(n: int) -> bytes:
        if n % 2:
            return click_body(n, "open_buy", "", slack)
        return click_body(n, "approval_approve", "1", slack)

    results: dict[tuple[str, str], list[float]] = {}
    sent = 0
    for number in range(rounds + 1):  # round 0 warms up (imports, caches, first users.info)
        for kind, load in (("command", commands), ("click", clicks)):
            for app, url in (("licensebot", real_url), ("bare", bare_url)):
                times = burst(url, [load(next(serial)) for _ in range(size)])
                if app == "licensebot":
                    sent += size
                    settle(slack, sent)
                if number:
                    results.setdefault((app, kind), []).extend(times)
    return results


def report(results: dict[tuple[str, str], list[float]], rounds: int, size: int) -> None:
    print(f"ack latency, {rounds} rounds of {size} concurrent requests per app and kind (ms)")
    print(f"{'':22}{'p50':>8}{'p99':>8}{'max':>8}")
    for (app, kind), times in sorted(results.items()):
        ms = [t * 1000 for t in times]
        print(
            f"{app + ' ' + kind + 's':22}{statistics.median(ms):8.1f}"
            f"{percentile(ms, 99):8.1f}{max(ms):8.1f}"
        )
    for kind in ("command", "click"):
        real, bare = results[("licensebot", kind)], results[("bare", kind)]
        p50 = statistics.median(real) / statistics.median(bare)
        p99 = percentile(real, 99) / percentile(bare, 99)
        print(f"ratio licensebot/bare, {kind}s: p50 {p50:.2f}, p99 {p99:.2f} (target <= 1.3)")
    slowest = max(max(times) for times in results.values())
    print(f"slowest ack: {slowest * 1000:.0f} ms (Slack's limit: 3000 ms)")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        kind, rest = sys.argv[2], sys.argv[3:]
        {"slack": serve_slack, "licensebot": serve_licensebot, "bare": serve_bare}[kind](*rest)
    else:
        main()
