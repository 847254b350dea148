from slack_bolt import App

from bot.listeners.views.logsale_submission import handle_logsale_submission
from bot.slack_ui.modal import CALLBACK_ID


def register(app: App) -> None:
    app.view(CALLBACK_ID)(handle_logsale_submission)
