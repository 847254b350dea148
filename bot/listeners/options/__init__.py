from slack_bolt import App

from bot.leadsquared.search import typed_lead_choice, typed_product_choice
from bot.listeners.options.search import make_search_options
from bot.services import Services


def register(app: App, services: Services) -> None:
    """Lead and product search as you type (block_suggestion from the modal's external_selects).

    Slack sends these to the options load URL (the same /slack/events); action_id = block_id.
    """
    app.options("lead")(make_search_options("lead", services.lead_search.search, typed_lead_choice))
    app.options("product_sku")(make_search_options("product", services.product_search.search, typed_product_choice))
