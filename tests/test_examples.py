"""Characterisation: every timeline in examples/ still gives, to the character, the output
committed beside it (tests/characterisation/). Written before the order registry replaced the
per-layer tables, so a refactor that changes a figure, an alert or an instant shows here; a
deliberate change rewrites the file in the commit that makes it, and says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.simulate import simulate
from bot.timeline import load_timeline
from tests.support import EXAMPLES_DIR, fresh_database

EXPECTED = Path(__file__).resolve().parent / "characterisation"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml"))


def test_every_example_has_its_characterisation() -> None:
    assert {path.stem for path in EXAMPLES} == {path.stem for path in EXPECTED.glob("*.json")}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_an_example_timeline_gives_its_recorded_output(example: Path) -> None:
    expected = json.loads((EXPECTED / f"{example.stem}.json").read_text(encoding="utf-8"))
    with fresh_database() as engine:
        assert simulate(load_timeline(example), engine) == expected
