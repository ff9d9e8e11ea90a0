"""Benchmark: charges sent per second by the charge worker, to the sandbox gateway and to a
local Stripe-compatible server (localstripe), at several worker concurrencies.

Seeds customers on PostgreSQL (the benchmarks' own database), each with a card and one
manual payment recorded and not yet sent, then times `Charger.run` sending them all and
applying every answer (one unit of work per charge). Against localstripe each customer
also gets a Stripe customer and a payment method made from a test card number first.
Prints every run and the medians.

    python bench/charging.py [--runs 3] [--charges 2000] [--stripe-charges 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import update

from bench.pg import URL, empty_schema, ensure_database
from billing import commands as cmd
from billing.actors import Actor
from billing.gateway import PaymentGateway
from payments.sandbox import SandboxGateway
from services.billing import Billing
from services.charging import Charger
from storage.charges import SqlChargeQueue
from storage.db import make_engine
from storage.models import PaymentMethodRow, ProcessorCustomerRow, table_of
from storage.store import SqlStore

AT = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
BENCH = Actor.system("bench")


def seed(store: SqlStore, customers: int) -> list[int]:
    billing = Billing(store)  # no worker: every charge waits in the queue
    card = cmd.SetupBilling(card=cmd.CardDetails(brand="visa", last4="4242", expires="2031-12"))
    pay = cmd.Pay(amount="25.00")  # type: ignore[arg-type]
    ids = []
    for n in range(customers):
        customer = billing.open_account(f"charge{n}.example", AT).id
        billing.order(customer, card, at=AT, actor=BENCH)
        billing.order(customer, pay, at=AT, actor=BENCH, key=f"pay-{n}")
        ids.append(customer)
    return ids


def link_to_localstripe(store: SqlStore, customers: list[int], server_url: str) -> None:
    """Each customer's Stripe customer and payment method, as card entry would leave them."""
    import stripe

    from tests.payments.conftest import API_KEY

    client = stripe.StripeClient(API_KEY, base_addresses={"api": server_url})
    with store.engine.begin() as connection:
        for customer in customers:
            made = client.v1.customers.create(params={"description": f"charge{customer}"})
            method = client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {
                        "number": "4242424242424242",
                        "exp_month": 12,
                        "exp_year": 2031,
                        "cvc": "123",
                    },  # type: ignore[typeddict-item]
                }
            )
            client.v1.payment_methods.attach(method.id, params={"customer": made.id})
            connection.execute(
                table_of(ProcessorCustomerRow).insert(),
                {"customer_id": customer, "gateway": "stripe", "processor_id": made.id},
            )
            connection.execute(
                update(table_of(PaymentMethodRow))
                .where(PaymentMethodRow.customer_id == customer)
                .values(processor_method=method.id)
            )


def timed(store: SqlStore, gateway: PaymentGateway, concurrency: int) -> tuple[int, float]:
    charger = Charger(store, SqlChargeQueue(store), gateway, lambda: AT, concurrency=concurrency)
    started = time.perf_counter()
    answered = charger.run()
    return answered, time.perf_counter() - started


def one_run(
    charges: int, concurrency: int, gateway_of: Callable[[SqlStore, list[int]], PaymentGateway]
) -> float:
    empty_schema(URL)
    engine = make_engine(URL)
    store = SqlStore(engine, workers=0)
    customers = seed(store, charges)
    gateway = gateway_of(store, customers)
    answered, elapsed = timed(store, gateway, concurrency)
    engine.dispose()
    assert answered == charges, f"{answered} of {charges} answered"
    return charges / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--charges", type=int, default=2000)
    parser.add_argument("--stripe-charges", type=int, default=300)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    ensure_database()

    def sandbox(store: SqlStore, customers: list[int]) -> PaymentGateway:
        return SandboxGateway(store.engine, lambda: AT)

    from payments.stripe_gateway import StripeGateway
    from tests.payments.conftest import API_KEY, Recorder, start_localstripe

    with tempfile.TemporaryDirectory() as folder:
        server = start_localstripe(Path(folder))
        try:

            def stripe_like(store: SqlStore, customers: list[int]) -> PaymentGateway:
                link_to_localstripe(store, customers, server.url)
                # The tests' client: it drops the parameters localstripe refuses.
                return StripeGateway(API_KEY, api_base=server.url, http_client=Recorder(timeout=30))

            for name, gateway_of, count in (
                ("sandbox", sandbox, args.charges),
                ("localstripe", stripe_like, args.stripe_charges),
            ):
                for concurrency in args.concurrency:
                    rates = [one_run(count, concurrency, gateway_of) for _ in range(args.runs)]
                    shown = ", ".join(f"{r:.0f}" for r in rates)
                    print(
                        f"{name}, concurrency {concurrency}: {count} charges;"
                        f" charges/s per run {shown}; median {statistics.median(rates):.0f}"
                    )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
