"""Listeners grouped by Slack feature, as in Slack's bolt-python-starter-template.

Thin: read the request, ack, hand the work on. Handlers are top-level functions; what they
use comes in Bolt's ``context`` (``tools_of(context)``, bot/listeners/tools.py), put there by a
middleware. May import every other bot package except ``bot.services`` (the composition root).
"""

from slack_bolt import App

from bot.listeners import actions, commands, events, options, shortcuts, views


def register_listeners(app: App) -> None:
    commands.register(app)
    views.register(app)
    actions.register(app)
    options.register(app)
    events.register(app)
    shortcuts.register(app)
