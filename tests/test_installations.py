"""OAuth mode's installations on a real database: an install makes one customer with its
first super-admin, a reinstall changes no role, an uninstall keeps the books, and every
change is audited (SPEC "Many workspaces" 2 and 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from billing.actors import Actor
from billing.tenancy import Installed
from services.workspaces import InstalledWorkspaces
from storage.models import AuditRow, CustomerRow, WorkspaceAdminRow
from storage.store import SqlStore
from storage.workspaces import SqlWorkspaces

T0 = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
ACME = Installed("TACME", None, False, "Acme", "UINSTALLER")
GLOBEX_ORG = Installed(None, "EGLOBEX", True, "Globex", "UORGADMIN")


def workspaces(store: SqlStore) -> InstalledWorkspaces:
    return InstalledWorkspaces(store, store, SqlWorkspaces(store))


def audit(store: SqlStore, customer: int) -> list[tuple[str, str, str]]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(AuditRow.action, AuditRow.subject, AuditRow.actor)
            .where(AuditRow.customer_id == customer)
            .order_by(AuditRow.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_an_install_is_one_customer_its_installer_super_admin_alerts_to_their_dm(
    store: SqlStore,
) -> None:
    found = workspaces(store)
    customer = found.install(ACME, "acme.example", "UINSTALLER", T0)
    assert found.customer_id("TACME", "ignored.example", T0) == customer
    settings = found.settings_for(customer)
    assert settings.super_admins == ("UINSTALLER",)
    assert settings.admins == ()
    assert settings.billing_channel == "UINSTALLER"  # until channels are set: a DM
    assert settings.approvals_channel == "UINSTALLER"
    assert settings.installed
    assert audit(store, customer) == [("installed", "TACME", "slack:UINSTALLER")]


def test_two_installations_may_share_a_domain_and_stay_two_customers(store: SqlStore) -> None:
    found = workspaces(store)
    first = found.install(ACME, "acme.example", "UINSTALLER", T0)
    other = Installed("TACME2", None, False, "Acme (EU)", "UEU")
    second = found.install(other, "acme.example", "UEU", T0)
    assert first != second
    with store.engine.connect() as connection:
        domains = connection.execute(
            select(CustomerRow.domain).where(CustomerRow.id.in_([first, second]))
        ).scalars()
        assert sorted(domains) == ["acme.example", "acme.example"]
    assert found.settings_for(second).super_admins == ("UEU",)


def test_a_reinstall_changes_no_role_and_resumes_delivery(store: SqlStore) -> None:
    found = workspaces(store)
    customer = found.install(ACME, "acme.example", "UINSTALLER", T0)
    found.set_admins(customer, ("UADA",), ("UGRACE",), Actor.slack("UINSTALLER"), T0)
    found.set_channels(customer, "CBILL", "CAPPROVE", "fr", Actor.slack("UADA"), T0)
    assert found.uninstall(None, "TACME", False, "app_uninstalled", T0 + timedelta(days=1))
    assert not found.settings_for(customer).installed
    again = Installed("TACME", None, False, "Acme", "USOMEONE")
    assert found.install(again, "other.example", "USOMEONE", T0 + timedelta(days=2)) == customer
    settings = found.settings_for(customer)
    assert settings.installed
    assert (settings.super_admins, settings.admins) == (("UADA",), ("UGRACE",))
    assert (settings.billing_channel, settings.approvals_channel) == ("CBILL", "CAPPROVE")
    assert settings.channel_language == "fr"
    assert [action for action, _, _ in audit(store, customer)] == [
        "installed",
        "admins_set",
        "channels_set",
        "uninstalled",
        "reinstalled",
    ]


def test_an_org_wide_install_is_found_by_its_org_and_uninstalled_by_it(
    store: SqlStore,
) -> None:
    found = workspaces(store)
    customer = found.install(GLOBEX_ORG, "globex.example", "UORGADMIN", T0)
    assert found.customer_id("EGLOBEX", "", T0) == customer
    assert found.customer_id("TGLOBEX1", "", T0) is None  # a workspace id is not the org's
    assert found.uninstall("EGLOBEX", "TGLOBEX1", True, "app_uninstalled", T0) == customer
    assert not found.settings_for(customer).installed


def test_an_uninstall_of_no_installation_changes_nothing(store: SqlStore) -> None:
    found = workspaces(store)
    customer = found.install(ACME, "acme.example", "UINSTALLER", T0)
    assert found.uninstall(None, "TNOBODY", False, "app_uninstalled", T0) is None
    assert found.settings_for(customer).installed
    assert len(audit(store, customer)) == 1


def test_admins_set_again_keep_who_gave_each_unchanged_role_and_when(store: SqlStore) -> None:
    found = workspaces(store)
    customer = found.install(ACME, "acme.example", "UINSTALLER", T0)
    later = T0 + timedelta(days=3)
    ada, grace = Actor.slack("UADA"), Actor.slack("UGRACE")
    found.set_admins(customer, ("UINSTALLER", "UADA"), ("UBOB",), ada, later)
    found.set_admins(customer, ("UINSTALLER", "UBOB"), (), grace, later + timedelta(days=1))
    with store.engine.connect() as connection:
        roles = connection.execute(
            select(
                WorkspaceAdminRow.user_id,
                WorkspaceAdminRow.role,
                WorkspaceAdminRow.added_at,
                WorkspaceAdminRow.added_by,
            )
            .where(WorkspaceAdminRow.customer_id == customer)
            .order_by(WorkspaceAdminRow.user_id)
        ).all()
    assert [tuple(row) for row in roles] == [
        ("UBOB", "super_admin", later + timedelta(days=1), "slack:UGRACE"),
        ("UINSTALLER", "super_admin", T0, "slack:UINSTALLER"),
    ]
