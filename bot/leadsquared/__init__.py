"""Talking to LeadSquared: the HTTP client (client.py), error classification and the
plain-words explanations (errors.py), hosts (hosts.py), lead resolution (leads.py), the
lead/product/owner lookups behind the modal's search (search.py), those lookups as Slack
requests make them, on their own pool (lookups.py), the SKUs one-line entry knows
(known_skus.py) and the account's currency (currency.py).

May import: ``bot.domain``, ``bot.metrics``, requests. Not ``bot.delivery``, ``bot.slack_ui``
or ``bot.listeners``.
"""
