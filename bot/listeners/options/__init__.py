from slack_bolt import App

from bot.listeners.options.lead_search import make_lead_search
from bot.listeners.options.product_search import make_product_search
from bot.services import Services


def register(app: App, services: Services) -> None:
    """Lead and product search as you type (block_suggestion from the modal's external_selects).

    Slack sends these to the options load URL (the same /slack/events); action_id = block_id.
    """
    app.options("lead")(make_lead_search(services))
    app.options("product_sku")(make_product_search(services))
