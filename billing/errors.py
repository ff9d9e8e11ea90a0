"""Refusals: a stable code for translation, the field at fault, and plain English."""

from __future__ import annotations

from typing import Any


class BillingError(Exception):
    """A request the rules refuse. Nothing has changed when it is raised."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
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
