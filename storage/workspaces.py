"""The installations of OAuth mode: which customer each is, its settings and admins, written
with their audit rows in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from billing.account import AuditEntry
from billing.actors import Actor
from billing.model import Change
from billing.tenancy import Installed, WorkspaceRecord
from storage.models import AuditRow, CustomerRow, WorkspaceAdminRow, WorkspaceRow, table_of
from storage.saving import audit_row
from storage.store import SqlStore

CUSTOMERS = table_of(CustomerRow)
WORKSPACES = table_of(WorkspaceRow)
ADMINS = table_of(WorkspaceAdminRow)
SUPER_ADMIN, ADMIN = "super_admin", "admin"


class SqlWorkspaces:
    def __init__(self, store: SqlStore) -> None:
        self.engine = store.engine

    def customer_of(self, key: str) -> int | None:
        with self.engine.connect() as connection:
            return _customer_of(connection, key)

    def record(self, customer_id: int) -> WorkspaceRecord | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(WORKSPACES).where(WORKSPACES.c.customer_id == customer_id)
            ).first()
            if row is None:
                return None
            roles = connection.execute(
                select(ADMINS.c.user_id, ADMINS.c.role)
                .where(ADMINS.c.customer_id == customer_id)
                .order_by(ADMINS.c.id)
            ).all()
        installed = Installed(
            row.team_id, row.enterprise_id, row.org_install, row.name, row.installer
        )
        return WorkspaceRecord(
            customer_id,
            installed,
            row.uninstalled_at,
            row.billing_channel,
            row.approvals_channel,
            row.channel_language,
            tuple(user for user, role in roles if role == SUPER_ADMIN),
            tuple(user for user, role in roles if role == ADMIN),
        )

    def install(
        self, installed: Installed, domain: str, first_super_admin: str, at: datetime
    ) -> tuple[int, bool]:
        """The installation's customer, made on first install with its first super-admin;
        a reinstall resumes delivery and changes no role. Returns (customer, first time)."""
        actor = Actor.slack(installed.installer)
        try:
            with self.engine.begin() as connection:
                customer = self._customer(connection, installed.key, domain, at)
                first = self._installed(connection, customer, installed, at)
                if first:
                    self._role(connection, customer, first_super_admin, SUPER_ADMIN, actor, at)
                change = "installed" if first else "reinstalled"
                after = {"workspace": installed.key, "by": installed.installer}
                _audit(connection, customer, actor, at, Change(change, installed.key, None, after))
                return customer, first
        except IntegrityError:  # two callbacks at once: the other made it
            made = self.customer_of(installed.key)
            assert made is not None
            return made, False

    def uninstall(self, key: str, why: str, at: datetime) -> int | None:
        """Delivery stops; the books stay. None when no installation has that key."""
        with self.engine.begin() as connection:
            customer = _customer_of(connection, key)
            if customer is None:
                return None
            done = connection.execute(
                update(WORKSPACES)
                .where(WORKSPACES.c.customer_id == customer, WORKSPACES.c.uninstalled_at.is_(None))
                .values(uninstalled_at=at)
            )
            if done.rowcount:
                change = Change("uninstalled", key, None, {"why": why})
                _audit(connection, customer, Actor.system("slack"), at, change)
        return customer

    def set_channels(
        self,
        customer_id: int,
        billing: str | None,
        approvals: str | None,
        language: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        with self.engine.begin() as connection:
            before = connection.execute(
                select(
                    WORKSPACES.c.billing_channel,
                    WORKSPACES.c.approvals_channel,
                    WORKSPACES.c.channel_language,
                ).where(WORKSPACES.c.customer_id == customer_id)
            ).one()
            connection.execute(
                update(WORKSPACES)
                .where(WORKSPACES.c.customer_id == customer_id)
                .values(
                    billing_channel=billing, approvals_channel=approvals, channel_language=language
                )
            )
            change = Change(
                "channels_set",
                "workspace",
                dict(before._mapping),
                {"billing_channel": billing, "approvals_channel": approvals, "language": language},
            )
            _audit(connection, customer_id, actor, at, change)

    def set_admins(
        self,
        customer_id: int,
        super_admins: tuple[str, ...],
        admins: tuple[str, ...],
        actor: Actor,
        at: datetime,
    ) -> None:
        """Roles as given; one kept as it was keeps who gave it and when."""
        wanted = {user: ADMIN for user in admins} | {user: SUPER_ADMIN for user in super_admins}
        with self.engine.begin() as connection:
            before = connection.execute(
                select(ADMINS.c.user_id, ADMINS.c.role)
                .where(ADMINS.c.customer_id == customer_id)
                .order_by(ADMINS.c.id)
            ).all()
            kept = {user for user, role in before if wanted.get(user) == role}
            connection.execute(
                delete(ADMINS).where(
                    ADMINS.c.customer_id == customer_id, ADMINS.c.user_id.not_in(kept)
                )
            )
            for user, role in wanted.items():
                if user not in kept:
                    self._role(connection, customer_id, user, role, actor, at)
            change = Change(
                "admins_set",
                "workspace",
                {"roles": [[user, role] for user, role in before]},
                {"super_admins": list(super_admins), "admins": list(admins)},
            )
            _audit(connection, customer_id, actor, at, change)

    @staticmethod
    def _customer(connection: Connection, key: str, domain: str, at: datetime) -> int:
        found = _customer_of(connection, key)
        if found is not None:
            return found
        made = connection.execute(
            insert(CUSTOMERS).values(domain=domain, currency="USD", created_at=at, team_id=key)
        )
        assert made.inserted_primary_key is not None
        return int(made.inserted_primary_key[0])

    @staticmethod
    def _installed(
        connection: Connection, customer: int, installed: Installed, at: datetime
    ) -> bool:
        """True on the first install; a reinstall only says it is installed again."""
        done = connection.execute(
            update(WORKSPACES)
            .where(WORKSPACES.c.customer_id == customer)
            .values(uninstalled_at=None, name=installed.name[:200])
        )
        if done.rowcount:
            return False
        connection.execute(
            insert(WORKSPACES).values(
                customer_id=customer,
                team_id=installed.team_id,
                enterprise_id=installed.enterprise_id,
                org_install=installed.org_install,
                name=installed.name[:200],
                installer=installed.installer,
                installed_at=at,
                channel_language="en",
            )
        )
        return True

    @staticmethod
    def _role(
        connection: Connection, customer: int, user: str, role: str, actor: Actor, at: datetime
    ) -> None:
        connection.execute(
            insert(ADMINS).values(
                customer_id=customer, user_id=user, role=role, added_at=at, added_by=str(actor)
            )
        )


def _customer_of(connection: Connection, key: str) -> int | None:
    """The customer of the installation with this key (a workspace's, or an org's)."""
    found = connection.execute(select(CUSTOMERS.c.id).where(CUSTOMERS.c.team_id == key)).scalar()
    return int(found) if found is not None else None


def _audit(
    connection: Connection, customer: int, actor: Actor, at: datetime, change: Change
) -> None:
    connection.execute(
        insert(table_of(AuditRow)), audit_row(customer, AuditEntry(actor, at, change))
    )
