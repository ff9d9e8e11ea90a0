"""The sandbox's workspace: its team, its two channels, and five people, one of each kind the
bot treats differently (a super-admin, a plain admin, a French super-admin, a super-admin on
a @gmail.com account, who is refused, and a member, who is not an admin)."""

from __future__ import annotations

from bot.sandbox.identities import Person, Team

TEAM = Team(
    id="TSANDBOX",
    domain="sandbox",
    name="Sandbox",
    app_id="ASANDBOX",
    bot_user_id="USANDBOT",
    bot_id="BSANDBOT",
)
BILLING = "CBILLING"
APPROVALS = "CAPPROVALS"
CHANNELS = {BILLING: "billing", APPROVALS: "approvals"}

PEOPLE = (
    Person("USANDADA", "ada@acme.example", "Ada (super-admin)", tz="America/New_York"),
    Person("USANDGRACE", "grace@acme.example", "Grace (admin)", is_admin=True),
    Person(
        "USANDMARIE",
        "marie@acme.example",
        "Marie (super-admin, français)",
        locale="fr-FR",
        tz="Europe/Paris",
    ),
    Person(
        "USANDBOB", "bob@gmail.com", "Bob (listed super-admin, @gmail.com)", tz="America/Chicago"
    ),
    Person("USANDJOE", "joe@acme.example", "Joe (not an admin)"),
)
SUPER_ADMINS = ("USANDADA", "USANDMARIE", "USANDBOB")
"""LICENSEBOT_SUPER_ADMINS: Bob is listed, and refused for his @gmail.com address."""
