"""Getting a stored sale to LeadSquared and its news to Slack, across processes: every table
(schema.py), the outbox (outbox.py), the dispatcher (dispatcher.py), the shared rate limiter
(rate_limit.py), App Home refresh requests (home_tabs.py) and sale threads (sale_threads.py).

May import: ``bot.domain``, ``bot.leadsquared``, ``bot.metrics``, SQLAlchemy. Not
``bot.slack_ui`` or ``bot.listeners``.
"""
