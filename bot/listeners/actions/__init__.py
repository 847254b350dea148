from slack_bolt import App

from bot.listeners.actions import home
from bot.listeners.actions.edit_retry import handle_edit_retry
from bot.listeners.actions.undo import handle_undo
from bot.slack_ui import home as home_view
from bot.slack_ui.messages import EDIT_RETRY_ACTION, UNDO_ACTION


def register(app: App) -> None:
    app.action(EDIT_RETRY_ACTION)(handle_edit_retry)
    app.action(UNDO_ACTION)(handle_undo)
    # App Home buttons
    app.action(home_view.OPEN_MODAL_ACTION)(home.handle_home_open)
    app.action(home_view.EDIT_RETRY_ACTION)(home.handle_home_edit_retry)
    app.action(home_view.UNDO_ACTION)(home.handle_home_undo)
    app.action(home_view.RETRY_ACTION)(home.handle_home_retry)
    app.action(home_view.RESOLVE_ACTION)(home.handle_home_resolve)
