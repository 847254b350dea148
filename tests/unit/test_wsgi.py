"""bot.wsgi, what gunicorn loads in each worker: the app, built, then frozen for the collector."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LOAD = """
import gc, json, os
import bot.wsgi
print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}), flush=True)
os._exit(0)  # the app's dispatcher threads
"""


def test_a_worker_freezes_what_it_built_so_full_collections_skip_it(tmp_path):
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-wsgi-test",
        "SLACK_SIGNING_SECRET": "wsgi-test-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "LEADSQUARED_HOST": "http://127.0.0.1:9",
        "LEADSQUARED_ACCESS_KEY": "wsgi-ak",
        "LEADSQUARED_SECRET_KEY": "wsgi-sk",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.db'}",
        "LOG_LEVEL": "WARNING",
    }
    loaded = subprocess.run([sys.executable, "-c", LOAD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    counts = json.loads(loaded.stdout.strip().splitlines()[-1])
    # Modules, the Bolt app, SQLAlchemy's tables and the bot's pools: tens of thousands of objects,
    # all in the permanent generation; what the collector still walks is what came after.
    assert counts["frozen"] > 50_000
    assert counts["tracked"] < counts["frozen"] // 10
