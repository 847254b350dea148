from slack_bolt import App

from bot.listeners.shortcuts.log_sale import (
    GLOBAL_SHORTCUT,
    MESSAGE_SHORTCUT,
    handle_global_shortcut,
    handle_message_shortcut,
)


def register(app: App) -> None:
    app.global_shortcut(GLOBAL_SHORTCUT)(handle_global_shortcut)
    app.message_shortcut(MESSAGE_SHORTCUT)(handle_message_shortcut)
