"""What the listeners use, handed to them through Bolt's ``context``.

``ProvideTools``, a global middleware (bot/app.py), puts one :class:`ListenerTools` into
every request's context; a handler takes ``context`` and reads it with :func:`tools_of`.
Built once per process by the composition root (bot/services.py); listeners never see
the root itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from slack_bolt import BoltContext
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.access import AccessPolicy
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outbox import Outbox
from bot.delivery.sale_threads import SaleThreads
from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.currency import AccountCurrency
from bot.leadsquared.known_skus import KnownSkus
from bot.leadsquared.lookups import Lookups
from bot.slack_ui.home_publisher import HomePublisher
from bot.slack_ui.users import UserDirectory

CONTEXT_KEY = "logsale"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListenerTools:
    outbox: Outbox
    users: UserDirectory
    access: AccessPolicy
    lookups: Lookups  # search, owner check, the lead at submission: on their own pool
    known_skus: KnownSkus  # for one-line entry
    leadsquared: LeadSquaredClient  # background: waits for the limiter, long timeouts (Undo)
    dispatcher: Dispatcher  # woken when a sale or a notification is stored
    home: HomePublisher
    sale_threads: SaleThreads  # threads of message-shortcut sales
    # Short jobs started after an ack (Undo, Home notices and refreshes): see after_ack.
    background: Executor
    # views.open and what follows it (users.info, views.update, the lookups' prewarm), started
    # after the ack (bot/listeners/modal_opening.py).
    forms: Executor
    # What messages show revenue in: answers at once; None means a plain number.
    messages_currency: Callable[[], AccountCurrency | None]

    # Bolt deep-copies custom context values for lazy listeners; these are shared
    # process-wide (pools, caches, connections): a lazy listener gets the same ones.
    def __copy__(self) -> ListenerTools:
        return self

    def __deepcopy__(self, memo: dict) -> ListenerTools:
        return self

    def after_ack(self, job: Callable[..., object], *args: object) -> None:
        """Run ``job(*args)`` on the background pool. Slack's answer is sent when the listener
        returns (bot/app.py), so what follows an ack goes here, and this never raises: a job's
        failure, or a pool already shut down (the process stopping), is logged instead."""
        name = getattr(job, "__qualname__", repr(job))

        def run() -> None:
            try:
                job(*args)
            except Exception:
                log.exception("%s failed after its ack", name)

        try:
            self.background.submit(run)
        except RuntimeError:  # the pool is shut down
            log.warning("%s not started: the process is stopping", name)


def tools_of(context: BoltContext) -> ListenerTools:
    return context[CONTEXT_KEY]


class ProvideTools(Middleware):
    """A plain Middleware, like AccessMiddleware: it needs nothing from the payload."""

    def __init__(self, tools: ListenerTools):
        self.tools = tools

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        req.context[CONTEXT_KEY] = self.tools
        return next()
