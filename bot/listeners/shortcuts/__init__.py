from slack_bolt import App

from bot.listeners.shortcuts.log_sale import (
    GLOBAL_SHORTCUT,
    MESSAGE_SHORTCUT,
    make_global_shortcut,
    make_message_shortcut,
)
from bot.services import Services


def register(app: App, services: Services) -> None:
    app.global_shortcut(GLOBAL_SHORTCUT)(make_global_shortcut(services))
    app.message_shortcut(MESSAGE_SHORTCUT)(make_message_shortcut(services))
