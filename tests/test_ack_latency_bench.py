"""bench/ack_latency.py, run small: its processes start (the bot assembled as
`licensebot run --http` assembles it), every request it sends is acknowledged and
answered, and it prints the figures it promises."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_runs_small_and_every_request_is_answered() -> None:
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    options = ["--rounds", "1", "--burst", "4", "--rate", "20", "--seconds", "1"]
    options += ["--workspaces", "3"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ack_latency.py"), *options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "1. bursts: 1 rounds of 4 concurrent requests" in out
    assert "2. steady: 20 requests/s for 1 s per app, open loop" in out
    assert "installed: licensebot in OAuth mode, installed in 3 workspaces" in out
    rows = re.findall(r"^(licensebot|bare|installed) (commands|clicks) +(.*)$", out, re.MULTILINE)
    assert len(rows) == 12, out  # two loads, three apps, two kinds
    for _app, _kind, cells in rows:
        *latencies, none = cells.split()
        assert len(latencies) == 4 and all(float(ms) > 0 for ms in latencies), out
        assert none == "0", out
    assert out.count("ratio licensebot/bare") == 4
    assert out.count("ratio installed/licensebot") == 4
    for app in ("licensebot", "bare", "installed"):
        tail = rf"^{app}: last answer -?\d+ ms after the load stopped; 0 of 20 never arrived"
        assert re.search(tail, out, re.MULTILINE), out
