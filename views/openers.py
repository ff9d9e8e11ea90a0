"""Action ids of the buttons that open an order's form, wherever they are shown (App Home,
alerts, warnings): `open:<order name>`."""

from __future__ import annotations

OPENS = "open:"
CARD = "open:card"
"""The card's form: change the card on file, or set up billing when there is none."""


def opener(name: str) -> str:
    return OPENS + name


MENU = "menu:"
"""A subscription's menu of orders: `menu:<subscription key>`, each choice an order's name."""


def menu(key: str) -> str:
    return MENU + key
