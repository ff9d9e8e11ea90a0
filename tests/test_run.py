"""`licensebot run`: configuration errors in one line, and the HTTP server as a process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.identities import Person
from bot.sandbox.signing import SlackSender
from bot.sandbox.slack_api import SlackApi
from tests.slack.installed import CLIENT_ID, install_through, stand_in
from tests.slack.installed import CLIENT_SECRET as APP_SECRET

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-signing-secret-that-must-never-be-printed"
TOKEN = "xoxb-999-888-a-token-that-must-never-be-printed"
CLIENT_SECRET = "an-oauth-client-secret-never-printed"


def base_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "LICENSEBOT_")) and "PROXY" not in k.upper()
    }
    env.pop("DATABASE_URL", None)
    return {**env, **extra}


def bot_env(slack_url: str, folder: Path) -> dict[str, str]:
    """What `licensebot run` needs, with Slack at `slack_url` and the database in `folder`."""
    return base_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_url,
        LICENSEBOT_SUPER_ADMINS="U1",
        LICENSEBOT_BILLING_CHANNEL="C1",
        LICENSEBOT_APPROVALS_CHANNEL="C2",
        DATABASE_URL=f"sqlite:///{folder / 'run.sqlite3'}",
    )


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("missing_or_bad", "expected"),
    [
        ({"SLACK_SIGNING_SECRET": None}, "SLACK_SIGNING_SECRET: is missing"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token-1234567890"}, "SLACK_BOT_TOKEN: must be a bot token"),
        (
            {"LICENSEBOT_SUPER_ADMINS": "alice"},
            "LICENSEBOT_SUPER_ADMINS: 'alice' is not a Slack user id",
        ),
        (
            {"LICENSEBOT_BILLING_CHANNEL": "#billing"},
            "LICENSEBOT_BILLING_CHANNEL: must be a Slack channel id",
        ),
        (
            {"LICENSEBOT_BATCH_WORKERS": "-1"},
            "LICENSEBOT_BATCH_WORKERS: Input should be greater than or equal to 0",
        ),
        (
            {"SLACK_APP_TOKEN": None},
            "SLACK_APP_TOKEN: is missing (Socket Mode needs an app-level token",
        ),
        (
            {"LICENSEBOT_PAYMENTS": "paypal"},
            "LICENSEBOT_PAYMENTS: Input should be 'sandbox' or 'stripe'",
        ),
        (
            {"LICENSEBOT_PAYMENTS": "stripe"},
            "STRIPE_API_KEY: is missing (LICENSEBOT_PAYMENTS=stripe needs it)",
        ),
        (
            {"LICENSEBOT_PAYMENTS": "stripe", "STRIPE_API_KEY": "sk_test_x"},
            "STRIPE_WEBHOOK_SECRET: is missing",
        ),
        (
            {"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": CLIENT_SECRET},
            "SLACK_BOT_TOKEN: set either it (one workspace) or SLACK_CLIENT_ID and"
            " SLACK_CLIENT_SECRET (installs through OAuth), not both",
        ),
        (
            {"SLACK_BOT_TOKEN": None, "SLACK_CLIENT_ID": "111.222"},
            "SLACK_CLIENT_SECRET: is missing (OAuth mode needs both)",
        ),
        (
            {
                "SLACK_BOT_TOKEN": None,
                "LICENSEBOT_BILLING_CHANNEL": None,
                "LICENSEBOT_APPROVALS_CHANNEL": None,
                "SLACK_CLIENT_ID": "111.222",
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            },
            "LICENSEBOT_SUPER_ADMINS: not used in OAuth mode (each workspace sets it from Slack)",
        ),
        (
            {
                "SLACK_BOT_TOKEN": None,
                "LICENSEBOT_SUPER_ADMINS": None,
                "LICENSEBOT_BILLING_CHANNEL": None,
                "LICENSEBOT_APPROVALS_CHANNEL": None,
                "SLACK_CLIENT_ID": "111.222",
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            },
            "SLACK_CLIENT_ID: OAuth mode serves its install pages over HTTP; use --http",
        ),
        (
            {"SLACK_BOT_TOKEN": None},
            "SLACK_BOT_TOKEN: is missing (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth)",
        ),
        (
            {"LICENSEBOT_BILLING_CHANNEL": None},
            "LICENSEBOT_BILLING_CHANNEL: is missing",
        ),
        (
            {"LICENSEBOT_RETRY_DAYS": "1,9"},
            "LICENSEBOT_RETRY_DAYS: must be days after issue from 1 to 6, like 1,3,5",
        ),
    ],
)
def test_a_bad_setting_is_named_in_one_line_with_exit_2_and_no_secret(
    missing_or_bad: dict[str, str | None], expected: str
) -> None:
    settings = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_APP_TOKEN": "xapp-1-A1-123-abcdef",
        "LICENSEBOT_SUPER_ADMINS": "U1",
        "LICENSEBOT_BILLING_CHANNEL": "C1",
        "LICENSEBOT_APPROVALS_CHANNEL": "C2",
    }
    for name, value in missing_or_bad.items():
        if value is None:
            settings.pop(name)
        else:
            settings[name] = value
    done = run_cli("run", env=base_env(**settings))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert expected in done.stderr
    assert SECRET not in done.stderr and TOKEN not in done.stderr
    assert CLIENT_SECRET not in done.stderr


def test_slack_unreachable_at_start_is_one_line_with_exit_2(tmp_path: Path) -> None:
    """The bot checks its token with Slack at start; a Slack it cannot reach is said plainly."""
    env = bot_env(f"http://127.0.0.1:{free_port()}/api/", tmp_path)  # nobody listens there
    done = run_cli("run", "--http", "--port", str(free_port()), env=env)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == "licensebot: Slack refused the bot token or could not be reached (URLError)"
    assert TOKEN not in done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, SlackApi, subprocess.Popen[str]]]:
    with SlackApi([Person("U1", "ada@acme.example")]) as slack:
        port = free_port()
        env = bot_env(slack.api_url, tmp_path)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                "--http",
                "--port",
                str(port),
                "--no-scheduler",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url)
        try:
            yield url, slack, process
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=20)
            assert SECRET not in output and TOKEN not in output


def test_run_http_serves_health_and_signed_slack_requests(
    server: tuple[str, SlackApi, subprocess.Popen[str]],
) -> None:
    url, slack, _ = server
    with urllib.request.urlopen(url + "/healthz", timeout=5) as health:
        assert health.status == 200 and health.read() == b"ok\n"
    sender = SlackSender(
        url + "/slack/events", SECRET, response_url_factory=lambda: slack.response_url("help")
    )
    assert sender.command("U1", "help").status == 200
    assert "/license buy chrome 25" in str(slack.wait_for_response("help")[-1]["blocks"])
    assert sender.command("U1", "help", secret="forged").status == 401


def test_run_http_in_oauth_mode_installs_in_two_workspaces_and_serves_each(
    tmp_path: Path,
) -> None:
    """`licensebot run --http` with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, as a process of
    its own: installed in two workspaces through its install pages, it answers each with
    that workspace's own token, and no secret or token reaches its output."""
    with stand_in() as teams:
        port = free_port()
        env = {
            **base_env(
                SLACK_CLIENT_ID=CLIENT_ID,
                SLACK_CLIENT_SECRET=APP_SECRET,
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=teams.api_url,
                DATABASE_URL=f"sqlite:///{tmp_path / 'oauth.sqlite3'}",
            ),
        }
        command = [sys.executable, "-m", "bot.cli", "run", "--http", "--port", str(port)]
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(url)
            for team, installer in (("T1", "UA1"), ("T2", "UG1")):
                page = install_through(url, teams, team, installer)
                assert page.status == 200, page.text
            for team, user in (("T1", "UA1"), ("T2", "UG1")):
                api = teams.team(team)
                sender = SlackSender(
                    url + "/slack/events",
                    SECRET,
                    team=api.team,
                    response_url_factory=lambda api=api: api.response_url("help"),
                )
                assert sender.command(user, "admins").status == 200
                [answer] = api.wait_for_response("help")
                assert f"<@{user}>" in str(answer["blocks"])
                [token] = teams.tokens_of(team)
                assert {call.headers["authorization"] for call in api.calls} == {f"Bearer {token}"}
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=20)
        secrets = [APP_SECRET, SECRET, *teams.tokens_of("T1"), *teams.tokens_of("T2")]
        assert not [s for s in secrets if s in output], output


def wait_for_health(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    *before, line = done.stderr.strip().splitlines()
    assert all(" INFO " in earlier for earlier in before), before  # the migrations it ran
    return line


def test_a_sandbox_on_a_port_in_use_is_one_line_with_exit_2(
    tmp_path: Path, taken_port: int
) -> None:
    env = base_env()
    database = str(tmp_path / "box.sqlite3")
    done = run_cli("sandbox", "--port", str(taken_port), "--database", database, env=env)
    assert one_line(done) == (
        f"licensebot sandbox: port {taken_port} is already in use; choose another with --port"
    )


def test_run_http_on_a_port_in_use_is_one_line_with_exit_2(tmp_path: Path, taken_port: int) -> None:
    with SlackApi([Person("U1", "ada@acme.example")]) as slack:
        env = bot_env(slack.api_url, tmp_path)
        done = run_cli("run", "--http", "--port", str(taken_port), "--no-scheduler", env=env)
    assert "is already in use" in one_line(done)


def test_a_database_out_of_reach_is_one_line_with_exit_2_and_no_password() -> None:
    url = f"postgresql+psycopg://licensebot:s3cret-pass@127.0.0.1:{free_port()}/nowhere"
    done = run_cli("migrate", "--database-url", url, env=base_env())
    line = one_line(done)
    assert line.startswith("licensebot migrate: the database cannot be used")
    assert "s3cret-pass" not in done.stderr
