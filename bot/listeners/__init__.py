"""Listeners grouped by Slack feature, as in Slack's bolt-python-starter-template.

Thin: read the request, ack, hand work to services. May import every other bot package.
"""

from slack_bolt import App

from bot.listeners import actions, commands, events, options, shortcuts, views
from bot.services import Services


def register_listeners(app: App, services: Services) -> None:
    commands.register(app, services)
    views.register(app, services)
    actions.register(app, services)
    options.register(app, services)
    events.register(app, services)
    shortcuts.register(app, services)
