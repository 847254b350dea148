"""Contract fixtures: payloads and answers copied from Slack's and LeadSquared's own published
sources, each file naming its source at the top (``_source``)."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
SLACK_DIR = HERE / "slack"
LEADSQUARED_DIR = HERE / "leadsquared"


def load(path: Path) -> dict:
    """A fixture file without its provenance keys (those starting with "_")."""
    data = json.loads(path.read_text())
    assert str(data.get("_source", "")).strip(), f"{path.name} names no source"
    return {k: v for k, v in data.items() if not k.startswith("_")}
