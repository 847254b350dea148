from slack_bolt import App

from bot.listeners.actions.edit_retry import make_edit_retry
from bot.listeners.actions.undo import make_undo
from bot.services import Services
from bot.slack_ui.messages import EDIT_RETRY_ACTION, UNDO_ACTION


def register(app: App, services: Services) -> None:
    app.action(EDIT_RETRY_ACTION)(make_edit_retry(services))
    app.action(UNDO_ACTION)(make_undo(services))
