"""Refusals: a stable code for translation, the field at fault, and plain English."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


class BillingError(Exception):
    """A request the rules refuse. Nothing has changed when it is raised."""

    code = "invalid"

    def __init__(self, template: str, *, field: str | None = None, **params: Any) -> None:
        """`template` is English with {named} parameters; the bot translates it."""
        message = template.format(**params)
        super().__init__(message)
        self.template = template
        self.message = message
        self.field = field
        self.params = params


class NotFound(BillingError):
    code = "not_found"


class ResellerManaged(BillingError):
    code = "reseller_managed"


class NotAllowed(BillingError):
    code = "not_allowed"


class PaymentDeclined(BillingError):
    code = "payment_declined"


@dataclass(frozen=True)
class Refusal:
    """A refusal kept to be shown later (an approval that could not be applied), in each
    reader's own language: the template and its values, not a sentence in one language."""

    template: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    code: str = "invalid"
    field: str | None = None

    @classmethod
    def of(cls, error: BillingError) -> Refusal:
        return cls(error.template, dict(error.params), error.code, error.field)

    def to_json(self) -> dict[str, Any]:
        """Amounts are kept exact, and marked, so they are shown as money again."""
        amounts = sorted(name for name, value in self.params.items() if isinstance(value, Decimal))
        params = {
            name: str(value) if isinstance(value, Decimal) else value
            for name, value in self.params.items()
        }
        return {
            "template": self.template,
            "params": params,
            "amounts": amounts,
            "code": self.code,
            "field": self.field,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Refusal:
        amounts = set(data.get("amounts") or ())
        params = {
            name: Decimal(value) if name in amounts else value
            for name, value in (data.get("params") or {}).items()
        }
        return cls(
            str(data["template"]), params, str(data.get("code") or "invalid"), data.get("field")
        )
