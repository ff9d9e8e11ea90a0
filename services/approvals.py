"""Approvals: an admin files a request, a super-admin decides it once, and an approved order
is applied in the same unit of work as the decision.

"Once" is the customer's lock: a decision loads the account, finds the request still open,
applies its order under the key `approval:<id>` and records the outcome (applied, or failed
with its reason) in one transaction, so however many clicks, retries or replicas race,
exactly one decides, and a request is never decided without its outcome.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from billing import commands as cmd
from billing.account import Account
from billing.actors import Actor
from billing.approvals import OPEN, Approval, ApprovalStatus
from billing.errors import BillingError, Refusal
from billing.model import Change
from billing.store import Reader, Store
from services.billing import Billing
from services.orders import ORDERS


class Approvals:
    def __init__(self, store: Store, reader: Reader, billing: Billing) -> None:
        self.store = store
        self.reader = reader
        self.billing = billing

    def request(
        self,
        customer_id: int,
        requester: Actor,
        order: cmd.Command,
        locale: str,
        at: datetime,
        key: str,
    ) -> tuple[Approval, bool]:
        """The request filed for this submission, and whether this call filed it."""
        with self.store.account(customer_id, replay_key=key) as account:
            existing = account.request(key)
            if existing is not None:
                return existing, False
            approval = Approval(
                customer_id,
                requester.name,
                at,
                key,
                order.name,
                order.model_dump(mode="json"),
                locale,
            )
            account.file_request(approval)
            change = Change(
                "approval_request", "", None, {"action": order.name, "order": approval.order}
            )
            account.audit(requester, at, change, about=approval)
        return approval, True

    def decide(
        self, customer_id: int, approval_id: int, approve: bool, by: Actor, at: datetime
    ) -> Approval | None:
        """Deny, or approve and apply, in one transaction; None when it was decided already
        (or is not this customer's)."""
        with self.store.account(customer_id, replay_key=f"approval:{approval_id}") as account:
            approval = account.approval(approval_id)
            if approval is None or approval.status not in OPEN:
                return None
            self._settle(account, approval, approve, by, at)
            charging = bool(account.pending.charges or account.pending.refunds)
        if charging:
            self.billing.send_charges(customer_id, at)
        return approval

    def finish_interrupted(self, at: datetime) -> list[Approval]:
        """Apply the requests an older release approved but stopped before applying, in the
        name of whoever approved them; returns them as now decided."""
        finished = []
        for left in self.store.interrupted_approvals():
            assert left.id is not None and left.decided_by is not None
            decided = self.decide(left.customer_id, left.id, True, Actor.slack(left.decided_by), at)
            if decided is not None:
                finished.append(decided)
        return finished

    def _settle(
        self, account: Account, approval: Approval, approve: bool, by: Actor, at: datetime
    ) -> None:
        approved = approve or approval.status is ApprovalStatus.APPROVED
        failure = self._apply(account, approval, by, at) if approved else None
        status = (
            ApprovalStatus.DENIED
            if not approved
            else ApprovalStatus.FAILED
            if failure is not None
            else ApprovalStatus.APPLIED
        )
        if approval.status is ApprovalStatus.PENDING:  # an older release audited its decision
            verdict = "approved" if approved else "denied"
            after: dict[str, object] = {"status": status.value}
            if failure is not None:
                after["reason"] = failure.template.format(**failure.params)
            change = Change(f"approval_{verdict}", "", {"status": "pending"}, after)
            account.audit(by, at, change, about=approval)
        account.decide(approval, status, by.name, at, failure)

    def _apply(
        self, account: Account, approval: Approval, by: Actor, at: datetime
    ) -> Refusal | None:
        """Apply the approved order; on a refusal, nothing it did is kept and the refusal is
        returned. An order already applied under the request's key (by an older release that
        stopped before recording it) is not applied again."""
        if approval.key in account.replays:
            return None
        try:
            order = self._order_of(approval)
            self.billing.place(account, order, at=at, actor=by, key=approval.key)
        except BillingError as error:
            account.discard()
            return Refusal.of(error)
        return None

    @staticmethod
    def _order_of(approval: Approval) -> cmd.Command:
        entry = ORDERS.named(approval.action)
        try:
            if entry is None:
                raise ValueError(approval.action)
            order: cmd.Command = entry.read(approval.order)
            return order
        except (ValueError, ValidationError):
            raise BillingError("this request can no longer be applied: ask again") from None

    # ---- reading, and where a request was posted ---------------------------------------
    def get(self, customer_id: int, approval_id: int) -> Approval | None:
        return self.reader.approval(customer_id, approval_id)

    def pending(self, customer_id: int) -> list[Approval]:
        return self.reader.approvals(customer_id)

    def posted(self, approval: Approval, channel: str, ts: str) -> None:
        assert approval.id is not None
        self.store.approval_posted(approval.customer_id, approval.id, channel, ts)
        approval.channel, approval.message_ts = channel, ts

    @staticmethod
    def order_of(approval: Approval) -> cmd.Command | None:
        """The order a request asks for, or None if it can no longer be read."""
        try:
            return Approvals._order_of(approval)
        except BillingError:
            return None
