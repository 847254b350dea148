"""app_home_opened: publish the user's Home tab (Bolt acks the event when this returns)."""

from __future__ import annotations

from slack_bolt import BoltContext

from bot.listeners.tools import tools_of


def handle_app_home_opened(event: dict, context: BoltContext) -> None:
    # The Messages and About tabs send this event too; only the Home tab is ours to draw.
    if event.get("tab") != "home" or not isinstance(event.get("user"), str):
        return
    tools = tools_of(context)
    # The publish reads the outbox and calls Slack: after the ack.
    tools.after_ack(tools.home.opened, event["user"])
