"""Reading a `licensebot simulate` timeline (YAML or JSON) into validated steps.

Amounts are read as exact decimals (never floats) and instants as text, so that a
missing UTC offset is caught instead of being guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from pydantic import AwareDatetime, TypeAdapter, ValidationError

from billing import commands as cmd
from services.orders import ORDERS

STEPS = tuple(
    name
    for name in ORDERS.names
    if name not in (cmd.SetPrice.name, cmd.ImportSeats.name, cmd.HolderLeft.name)
)
"""Every order is a step, by its name (SPEC's words), but the catalogue's prices, which are
the operator's and not a customer's what-if, and what only Slack causes: a file's seat
changes (a timeline gives them as assign and release steps) and a person leaving."""
INSTANT = TypeAdapter(AwareDatetime)


class TimelineError(Exception):
    """A bad timeline: one line naming the step and the field."""


@dataclass(frozen=True)
class Step:
    index: int
    at: datetime
    action: str
    order: cmd.Command


@dataclass(frozen=True)
class Timeline:
    domain: str
    steps: list[Step]
    until: datetime


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _exact_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node))
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text


_Loader.add_constructor("tag:yaml.org,2002:float", _exact_float)


def parse_document(text: str, name: str = "") -> Any:
    try:
        if name.endswith(".json") or text.lstrip().startswith("{"):
            return json.loads(text, parse_float=Decimal)
        return yaml.load(text, Loader=_Loader)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise TimelineError(
            f"the file is not valid YAML or JSON: {str(error).splitlines()[0]}"
        ) from None


def _instant(value: Any, where: str) -> datetime:
    if isinstance(value, str) and "T" not in value and " " not in value:
        raise TimelineError(
            f"{where}: {value!r} is not an instant; write e.g. 2026-01-10T09:00:00-08:00"
        )
    try:
        return INSTANT.validate_python(value)
    except ValidationError as error:
        message = error.errors(include_url=False)[0]["msg"]
        if "timezone" in message.lower():
            message = "needs an explicit UTC offset, e.g. 2026-01-10T09:00:00-08:00"
        raise TimelineError(f"{where}: {message}") from None


def _step(index: int, raw: Any) -> Step:
    where = f"step {index}"
    if not isinstance(raw, dict):
        raise TimelineError(f"{where}: a step is a mapping with `at` and one action")
    if "at" not in raw:
        raise TimelineError(f"{where}: at: missing (every step needs an instant with a UTC offset)")
    at = _instant(raw["at"], f"{where}: at")
    actions = [key for key in raw if key != "at"]
    if len(actions) != 1:
        raise TimelineError(
            f"{where}: needs exactly one action besides `at`, found {actions or 'none'}"
        )
    action = actions[0]
    entry = ORDERS.named(action) if action in STEPS else None
    if entry is None:
        raise TimelineError(f"{where}: unknown step {action!r}; steps are {', '.join(STEPS)}")
    body = raw[action] or {}
    if not isinstance(body, dict):
        raise TimelineError(f"{where} ({action}): expected a mapping of fields")
    try:
        order = entry.read(body)
    except ValidationError as error:
        field, message = cmd.field_errors(error)[0]
        raise TimelineError(f"{where} ({action}): {field}: {message}") from None
    return Step(index, at, action, order)


def read_timeline(document: Any) -> Timeline:
    if not isinstance(document, dict):
        raise TimelineError("the file must be a mapping with customer, steps and until")
    unknown = set(document) - {"customer", "steps", "until"}
    if unknown:
        raise TimelineError(
            f"unknown top-level field {sorted(unknown)[0]!r}; expected customer, steps, until"
        )
    customer = document.get("customer")
    if not isinstance(customer, dict) or not isinstance(customer.get("domain"), str):
        raise TimelineError("customer: domain: missing (e.g. customer: {domain: example.com})")
    extra = set(customer) - {"domain", "currency"}
    if extra:
        raise TimelineError(f"customer: unknown field {sorted(extra)[0]!r}")
    if customer.get("currency", "USD") != "USD":
        raise TimelineError("customer: currency: only USD is billed")
    domain = customer["domain"].strip().lower()
    try:
        TypeAdapter(cmd.DomainName).validate_python(domain)
    except ValidationError:
        raise TimelineError(f"customer: domain: {domain!r} is not a domain name") from None
    raw_steps = document.get("steps") or []
    if not isinstance(raw_steps, list):
        raise TimelineError("steps: must be a list")
    steps = [_step(index, raw) for index, raw in enumerate(raw_steps)]
    for previous, step in pairwise(steps):
        if step.at < previous.at:
            raise TimelineError(
                f"step {step.index} ({step.action}): at: is earlier than step {previous.index};"
                " steps go in time order"
            )
    if "until" not in document:
        raise TimelineError("until: missing (the instant the simulation runs up to)")
    until = _instant(document["until"], "until")
    if steps and until < steps[-1].at:
        raise TimelineError(f"until: is earlier than step {steps[-1].index}")
    return Timeline(domain, steps, until)


def load_timeline(path: Path) -> Timeline:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TimelineError(f"cannot read {path}: {error.strerror}") from None
    return read_timeline(parse_document(text, path.name))
