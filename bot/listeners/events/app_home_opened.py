"""app_home_opened: publish the user's Home tab (Bolt has acked the event already)."""

from __future__ import annotations

from bot.services import Services


def make_app_home_opened(services: Services):
    def handle_app_home_opened(event: dict) -> None:
        # The Messages and About tabs send this event too; only the Home tab is ours to draw.
        if event.get("tab") != "home" or not isinstance(event.get("user"), str) or services.home is None:
            return
        # Off Bolt's listener pool: the publish reads the outbox and calls Slack.
        services.background.submit(services.home.opened, event["user"])

    return handle_app_home_opened
