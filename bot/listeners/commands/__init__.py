from slack_bolt import App

from bot.listeners.commands.logsale import handle_logsale_command


def register(app: App) -> None:
    app.command("/logsale")(handle_logsale_command)
