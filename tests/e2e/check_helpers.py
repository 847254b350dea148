"""Running `python -m bot …` (or the Procfile's command) as a deploying admin would."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.e2e.server import ROOT


def run(args: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEADSQUARED_", "LOGSALE_", "DYNO"))}
    clean.update(env)
    clean["PATH"] = f"{os.path.dirname(sys.executable)}{os.pathsep}{clean.get('PATH', '')}"
    return subprocess.run(args, env=clean, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
