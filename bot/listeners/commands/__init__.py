from slack_bolt import App

from bot.listeners.commands.logsale import make_logsale_command
from bot.services import Services


def register(app: App, services: Services) -> None:
    app.command("/logsale")(make_logsale_command(services))
