from slack_bolt import App

from bot.listeners.events.app_home_opened import handle_app_home_opened


def register(app: App) -> None:
    app.event("app_home_opened")(handle_app_home_opened)
