from slack_bolt import App

from bot.services import Services


def register(app: App, services: Services) -> None:
    """Lead and product search as you type (block_suggestion) — see lead_search.py."""
