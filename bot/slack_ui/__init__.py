"""What Slack shows and how we talk to it: the modal, messages, App Home, the notifier that
delivers stored notifications, the user directory, and the shapes of Slack's values.

May import: ``bot.domain``, ``bot.leadsquared``, ``bot.delivery``, ``bot.metrics``, slack_sdk.
Not ``bot.listeners`` or ``bot.services``.
"""
