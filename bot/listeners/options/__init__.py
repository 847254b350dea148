from slack_bolt import App

from bot.listeners.options.search import handle_lead_options, handle_product_options


def register(app: App) -> None:
    """Lead and product search as you type (block_suggestion from the modal's external_selects).

    Slack sends these to the options load URL (the same /slack/events); action_id = block_id.
    """
    app.options("lead")(handle_lead_options)
    app.options("product_sku")(handle_product_options)
