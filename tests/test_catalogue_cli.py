"""`licensebot catalogue`: the operator lists and sets the catalogue; every change is audited
(actor "operator", no customer) with what it was before; bad input changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from bot.cli import main
from storage.db import make_engine

SEEDED = (
    "code                    name                       annual  flexible  currency\n"
    "chrome_enterprise       Chrome Enterprise Upgrade   50.00      6.00  USD\n"
    "cloud_identity_premium  Cloud Identity Premium      72.00      6.00  USD\n"
)
"""The first migration's catalogue, as a person reads it."""


@pytest.fixture
def url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"sqlite:///{tmp_path / 'catalogue.sqlite3'}"
    assert main(["migrate", "--database-url", url]) == 0
    capsys.readouterr()
    return url


def cli(url: str, *args: str) -> int:
    """The exit status, whether main returns it or argparse exits with it."""
    try:
        return main(["catalogue", *args, "--database-url", url])
    except SystemExit as exit:
        return int(exit.code or 0)


def engine_of(url: str) -> Engine:
    return make_engine(url)


def products(url: str) -> list[tuple[Any, ...]]:
    with engine_of(url).connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT code, name, annual_price, flexible_price, currency FROM products"
                    " ORDER BY code"
                )
            )
        ]


def audit(url: str) -> list[tuple[Any, ...]]:
    with engine_of(url).connect() as connection:
        return [
            (row.actor, row.customer_id, row.action, row.subject, row.before, row.after)
            for row in connection.execute(
                text(
                    "SELECT actor, customer_id, action, subject, before, after FROM audit_log"
                    " ORDER BY id"
                )
            )
        ]


def decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_with_no_argument_it_prints_the_catalogue(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(url) == 0
    out = capsys.readouterr()
    assert out.out == SEEDED
    assert out.err == ""


def test_it_reads_database_url_when_no_option_is_given(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["catalogue"]) == 0
    assert capsys.readouterr().out == SEEDED


def test_a_price_change_is_audited_as_the_operators_with_before_and_after(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(url, "set", "chrome_enterprise", "--annual", "55.125") == 0
    assert "chrome_enterprise       Chrome Enterprise Upgrade  55.125      6.00  USD" in (
        capsys.readouterr().out
    )
    # ten-thousandths of a dollar
    assert products(url)[0] == (
        "chrome_enterprise",
        "Chrome Enterprise Upgrade",
        551250,
        60000,
        "USD",
    )
    [(actor, customer, action, subject, before, after)] = audit(url)
    assert (actor, customer, action, subject) == (
        "operator",
        None,
        "set_product",
        "chrome_enterprise",
    )
    assert decoded(before) == {"product": "chrome_enterprise", "annual_price": "50.0000"}
    assert decoded(after) == {"product": "chrome_enterprise", "annual_price": "55.125"}


def test_a_new_product_needs_its_name_and_both_prices(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(url, "set", "workspace", "--name", "Workspace", "--annual", "120") == 2
    assert capsys.readouterr().err == (
        "licensebot catalogue: “workspace” is a new product: give its flexible price\n"
    )
    assert (
        cli(
            url,
            "set",
            "workspace",
            "--name",
            "Google Workspace",
            "--annual",
            "120",
            "--flexible",
            "12.5",
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines()[-1] == (
        "workspace               Google Workspace           120.00     12.50  USD"
    )
    assert products(url)[-1] == ("workspace", "Google Workspace", 1200000, 125000, "USD")
    [(actor, customer, action, subject, before, after)] = audit(url)
    assert (actor, customer, action, subject) == ("operator", None, "add_product", "workspace")
    assert decoded(before) is None
    assert decoded(after) == {
        "product": "workspace",
        "name": "Google Workspace",
        "annual_price": "120",
        "flexible_price": "12.5",
        "currency": "USD",
    }


def test_a_name_and_both_prices_change_in_one_audit_row(url: str) -> None:
    assert (
        cli(
            url,
            "set",
            "cloud_identity_premium",
            "--name",
            "CIP",
            "--flexible",
            "7",
            "--annual",
            "80",
        )
        == 0
    )
    assert products(url)[1] == ("cloud_identity_premium", "CIP", 800000, 70000, "USD")
    [(_, _, _, _, before, after)] = audit(url)
    assert decoded(before) == {
        "product": "cloud_identity_premium",
        "name": "Cloud Identity Premium",
        "annual_price": "72.0000",
        "flexible_price": "6.0000",
    }
    assert decoded(after) == {
        "product": "cloud_identity_premium",
        "name": "CIP",
        "annual_price": "80",
        "flexible_price": "7",
    }


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["set", "chrome_enterprise", "--annual", "0"],
            "--annual: 0 is not a price: it must be more than 0",
        ),
        (
            ["set", "chrome_enterprise", "--annual", "-5"],
            "--annual: -5 is not a price: it must be more than 0",
        ),
        (
            ["set", "chrome_enterprise", "--flexible", "1.23456"],
            "--flexible: 1.23456 has more than 4 decimal places",
        ),
        (["set", "chrome_enterprise", "--annual", "1e3"], "--annual: '1e3' is not an amount"),
        (["set", "chrome_enterprise", "--annual", "5,00"], "--annual: '5,00' is not an amount"),
        (["set", "chrome_enterprise", "--annual", "nan"], "--annual: 'nan' is not an amount"),
        (
            ["set", "chrome_enterprise", "--currency", "EUR"],
            "--currency: EUR is not a currency the bot bills in (USD)",
        ),
        (["set", "chrome_enterprise"], "nothing to change on “chrome_enterprise”"),
        (["set", "bad code", "--annual", "5"], "'bad code' is not a product code"),
        (["set", "chrome_enterprise", "--price", "5"], "unrecognized arguments: --price 5"),
        (["set"], "give a product code, or --file catalogue.yml"),
        (["chrome_enterprise"], "invalid choice: 'chrome_enterprise'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    url: str, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    before = products(url)
    assert cli(url, *args) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert len(out.err.splitlines()) == 1, out.err
    assert out.err.startswith("licensebot catalogue: ")
    assert says in out.err
    assert products(url) == before
    assert audit(url) == []


def test_a_file_sets_several_products_in_one_transaction(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "catalogue.yml"
    good.write_text(
        "products:\n"
        "  - {code: chrome_enterprise, annual: 48.00}\n"
        "  - {code: workspace, name: Google Workspace, annual: 120, flexible: 12.5}\n",
        encoding="utf-8",
    )
    assert cli(url, "set", "--file", str(good)) == 0
    assert products(url) == [
        ("chrome_enterprise", "Chrome Enterprise Upgrade", 480000, 60000, "USD"),
        ("cloud_identity_premium", "Cloud Identity Premium", 720000, 60000, "USD"),
        ("workspace", "Google Workspace", 1200000, 125000, "USD"),
    ]
    assert [row[:4] for row in audit(url)] == [
        ("operator", None, "set_product", "chrome_enterprise"),
        ("operator", None, "add_product", "workspace"),
    ]
    capsys.readouterr()


@pytest.mark.parametrize(
    ("document", "says"),
    [
        # the second product fails: the first is not changed either
        (
            "products:\n  - {code: chrome_enterprise, annual: 48.00}\n  - {code: newone, annual: 1, flexible: 1}\n",
            "“newone” is a new product: give its name",
        ),
        (
            "products:\n  - {code: chrome_enterprise, annual: 48.00}\n  - {code: cloud_identity_premium, flexible: 0.00001}\n",
            "product 2: flexible: 0.00001 has more than 4 decimal places",
        ),
        ("products:\n  - {code: chrome_enterprise, price: 4}\n", "product 1: unknown field price"),
        (
            "products:\n  - {code: a, annual: 1}\n  - {code: a, annual: 2}\n",
            "product 2: “a” is given twice",
        ),
        ("- {code: a}\n", "the file must hold one key, `products`"),
        ("products: [\n", "the file is not valid YAML or JSON"),
    ],
)
def test_a_bad_file_changes_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], document: str, says: str
) -> None:
    bad = tmp_path / "catalogue.yml"
    bad.write_text(document, encoding="utf-8")
    before = products(url)
    assert cli(url, "set", "--file", str(bad)) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and says in err, err
    assert products(url) == before
    assert audit(url) == []


def test_an_unmigrated_database_is_named_not_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert cli(url, "set", "chrome_enterprise", "--annual", "5") == 2
    assert capsys.readouterr().err == (
        "licensebot catalogue: the database schema is not up to date: run `licensebot migrate` first\n"
    )
