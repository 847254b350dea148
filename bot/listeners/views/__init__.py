from slack_bolt import App

from bot.listeners.views.logsale_submission import make_logsale_submission
from bot.services import Services
from bot.slack_ui.modal import CALLBACK_ID


def register(app: App, services: Services) -> None:
    app.view(CALLBACK_ID)(make_logsale_submission(services))
