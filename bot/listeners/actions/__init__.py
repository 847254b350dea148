from slack_bolt import App

from bot.listeners.actions import home
from bot.listeners.actions.edit_retry import make_edit_retry
from bot.listeners.actions.undo import make_undo
from bot.services import Services
from bot.slack_ui import home as home_view
from bot.slack_ui.messages import EDIT_RETRY_ACTION, UNDO_ACTION


def register(app: App, services: Services) -> None:
    app.action(EDIT_RETRY_ACTION)(make_edit_retry(services))
    app.action(UNDO_ACTION)(make_undo(services))
    # App Home buttons
    app.action(home_view.OPEN_MODAL_ACTION)(home.make_open_modal(services))
    app.action(home_view.EDIT_RETRY_ACTION)(home.make_edit_retry(services))
    app.action(home_view.UNDO_ACTION)(home.make_undo(services))
    app.action(home_view.RETRY_ACTION)(home.make_admin_action(services, "retry"))
    app.action(home_view.RESOLVE_ACTION)(home.make_admin_action(services, "resolve"))
