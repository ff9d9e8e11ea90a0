"""Refusals: a stable code for translation, the field at fault, and plain English."""

from __future__ import annotations

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
