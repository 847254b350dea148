from slack_bolt import App

from bot.listeners.events.app_home_opened import make_app_home_opened
from bot.services import Services


def register(app: App, services: Services) -> None:
    app.event("app_home_opened")(make_app_home_opened(services))
