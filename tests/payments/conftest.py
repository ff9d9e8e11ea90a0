"""A real Stripe-speaking server for the Stripe adapter's tests, and a window on the wire.

`localstripe` (a stateful fake of Stripe's API, installed by the test extras) is started by
these fixtures on a free local port and stopped after; nothing reaches the internet.

`Recorder` is the stripe package's own HTTP client with a tap: it keeps every request the
adapter sends (method, path, decoded parameters, headers) so tests can check the exact
parameters and the Idempotency-Key header, which localstripe ignores. It can also answer a
request itself with a body written in the test (Stripe's documented answers that localstripe
cannot give: Checkout Sessions, insufficient funds, outages), and it adapts the few requests
localstripe rejects although Stripe documents them (see `_LOCALSTRIPE_LACKS`).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
import stripe
from requests.structures import CaseInsensitiveDict

from payments.stripe_gateway import StripeGateway

API_KEY = "sk_test_licensebot_0123456789"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalStripe:
    """One localstripe process."""

    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> dict[str, Any]:
        """A request of the test's own (setting up cards), straight to the server."""
        answer = requests.post(self.url + path, data=data, auth=(API_KEY, ""), timeout=5)
        answer.raise_for_status()
        body: dict[str, Any] = answer.json() if answer.content else {}
        return body

    def get(self, path: str) -> dict[str, Any]:
        answer = requests.get(self.url + path, auth=(API_KEY, ""), timeout=5)
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body


def _localstripe_command() -> list[str]:
    if importlib.util.find_spec("localstripe") is None:
        pytest.skip("localstripe is not installed (pip install -e '.[test]' installs it)")
    script = shutil.which("localstripe", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "localstripe"]


def start_localstripe(tmp: Path) -> LocalStripe:
    port = free_port()
    log = (tmp / f"localstripe-{port}.log").open("wb")
    # --from-scratch: never load the state another run left in /tmp/localstripe.pickle.
    process = subprocess.Popen(
        [*_localstripe_command(), "--port", str(port), "--from-scratch"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = LocalStripe(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 15
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode}; see {log.name}")
        try:
            requests.get(server.url + "/v1/balance", auth=(API_KEY, ""), timeout=1)
            return server
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("localstripe did not answer within 15 s") from None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    """One server for the tests that only add their own objects to it."""
    server = start_localstripe(tmp_path_factory.mktemp("localstripe"))
    yield server
    server.stop()


@pytest.fixture
def fresh_localstripe(tmp_path: Path) -> Iterator[LocalStripe]:
    """A server of the test's own: empty books, its own webhooks, free to be stopped."""
    server = start_localstripe(tmp_path)
    yield server
    server.stop()


# The wire


@dataclass
class Sent:
    """One HTTP request the adapter made, as it left the stripe package."""

    method: str
    path: str
    params: dict[str, Any]
    """Form body (POST) or query (GET), decoded to nested dicts and lists of strings."""
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


@dataclass
class _Canned:
    method: str
    path: str
    status: int | None
    body: dict[str, Any] | None
    """None: refuse the connection instead of answering."""


def decode_form(encoded: str) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0]=x`) back into nested dicts and lists."""
    tree: dict[str, Any] = {}
    for name, value in parse_qsl(encoded, keep_blank_values=True):
        parts = name.replace("]", "").split("[")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def lists(node: Any) -> Any:
        if isinstance(node, dict):
            if node and all(key.isdigit() for key in node):
                return [lists(node[key]) for key in sorted(node, key=int)]
            return {key: lists(value) for key, value in node.items()}
        return node

    result: dict[str, Any] = lists(tree)
    return result


# Stripe documents these parameters; localstripe answers 400 or 500 to them. The Recorder
# keeps what the adapter sent and forwards the request without them.
_LOCALSTRIPE_LACKS = {
    ("post", "/v1/payment_intents"): ("statement_descriptor_suffix",),
    ("get", "/v1/payment_intents"): ("created[",),
    ("get", "/v1/refunds"): ("created[",),
}


def _without(encoded: str, prefixes: tuple[str, ...]) -> str:
    kept = [(k, v) for k, v in parse_qsl(encoded, keep_blank_values=True)]
    kept = [(k, v) for k, v in kept if not k.startswith(prefixes)]
    return urlencode(kept).replace("%5B", "[").replace("%5D", "]")


class Recorder(stripe.RequestsClient):
    def __init__(self, timeout: float = 5) -> None:
        super().__init__(timeout=timeout)
        self.sent: list[Sent] = []
        self.canned: list[_Canned] = []
        self.page_size: int | None = None
        """Forwarded lists ask for pages this small, so auto-pagination really pages."""

    def answer(self, method: str, path: str, status: int, body: dict[str, Any]) -> None:
        """Answer the next `method path` with this body instead of forwarding it."""
        self.canned.append(_Canned(method.lower(), path, status, body))

    def refuse(self, method: str, path: str, times: int = 1) -> None:
        """Fail the next `times` `method path` as if the connection dropped."""
        self.canned.extend(_Canned(method.lower(), path, None, None) for _ in range(times))

    def requests_to(self, method: str, path: str) -> list[Sent]:
        return [s for s in self.sent if s.method == method.lower() and s.path == path]

    def _sleep_time_seconds(self, num_retries: int) -> float:
        return 0.0  # the stripe package's back-off, without the wait

    def request(
        self, method: str, url: str, headers: Any, post_data: Any = None
    ) -> tuple[bytes, int, Any]:
        parts = urlsplit(url)
        encoded = post_data if method == "post" else parts.query
        self.sent.append(Sent(method, parts.path, decode_form(encoded or ""), dict(headers or {})))
        for canned in self.canned:
            if (canned.method, canned.path) == (method, parts.path):
                self.canned.remove(canned)
                if canned.body is None:
                    raise stripe.APIConnectionError("connection refused (test)", should_retry=True)
                return (
                    json.dumps(canned.body).encode(),
                    canned.status or 200,
                    CaseInsensitiveDict({"Request-Id": "req_test"}),
                )
        lacks = _LOCALSTRIPE_LACKS.get((method, parts.path))
        if lacks and method == "post":
            post_data = _without(post_data or "", lacks)
        elif lacks or (method == "get" and self.page_size):
            query = _without(parts.query, lacks or ())
            if self.page_size and "limit=" in query:
                query = _without(query, ("limit",)) + f"&limit={self.page_size}"
            url = parts._replace(query=query).geturl()
        content, status, rheaders = super().request(method, url, headers, post_data)
        return content, status, rheaders


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def gateway(localstripe: LocalStripe, recorder: Recorder) -> StripeGateway:
    return StripeGateway(API_KEY, api_base=localstripe.url, http_client=recorder)


@pytest.fixture
def customer(gateway: StripeGateway) -> str:
    return gateway.create_customer(7, "example.com")


CardMaker = Callable[..., str]


@pytest.fixture
def card(localstripe: LocalStripe, customer: str) -> CardMaker:
    """A test card number made into a PaymentMethod attached to `customer`."""

    def make(number: str, exp_month: int = 12, exp_year: int = 2030, attach: bool = True) -> str:
        method = localstripe.post(
            "/v1/payment_methods",
            {
                "type": "card",
                "card[number]": number,
                "card[exp_month]": str(exp_month),
                "card[exp_year]": str(exp_year),
                "card[cvc]": "123",
            },
        )
        if attach:
            localstripe.post(f"/v1/payment_methods/{method['id']}/attach", {"customer": customer})
        pm: str = method["id"]
        return pm

    return make
