"""Wires the domain (LeadSquared, outbox, dispatcher) to Slack. Built once per process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.access import AccessPolicy
from bot.config import Settings
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.home_tabs import HomeTabs
from bot.delivery.outbox import Outbox, make_engine
from bot.delivery.rate_limit import SalesFirstLimiter, SharedRateLimiter
from bot.delivery.sale_threads import SaleThreads
from bot.domain.lead_text import lead_kind
from bot.domain.model import RawSale
from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.currency import AccountCurrency, CurrencyCache
from bot.leadsquared.leads import LeadResolver
from bot.leadsquared.search import LeadSearch, OwnerCheck, ProductSearch
from bot.schema_upgrade import upgrade_database
from bot.slack_ui import shapes
from bot.slack_ui.home_publisher import PUBLISH_CALLS, PUBLISH_SECONDS, HomePublisher
from bot.slack_ui.notifier import SlackNotifier
from bot.slack_ui.users import UserDirectory

log = logging.getLogger(__name__)

# Lookups made for a Slack request (search, owner check, the lead at submission) run on the
# lookup pool; the request waits for them only as long as Slack's 3 seconds allow. The call
# itself may take longer: a late answer still fills the cache for the next keystroke or
# submission, which is what keeps a slow LeadSquared from slowing every ack.
LOOKUP_TIMEOUT = (2.0, 10.0)
LOOKUP_LIMITER_WAIT = 0.3
# A keystroke never queues for the rate limiter: it gets cached or partial results instead.
SEARCH_LIMITER_WAIT = 0.0
LOOKUP_THREADS = 16


@dataclass
class Services:
    settings: Settings
    web_client: WebClient
    users: UserDirectory
    outbox: Outbox
    rate_limiter: SharedRateLimiter
    leadsquared: LeadSquaredClient  # background: waits for the limiter, long timeouts
    leadsquared_lookups: LeadSquaredClient  # for Slack requests: on the lookup pool, barely waits for the limiter
    dispatcher: Dispatcher
    # Short jobs started by a click after its ack (Undo); never Bolt's listener pool.
    background: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, "logsale-bg"))
    # SKUs seen in LeadSquared product searches, for one-line entry.
    product_cache: TTLCache = field(default_factory=lambda: TTLCache(maxsize=5000, ttl=3600))
    # The lead/product inputs search LeadSquared as you type (external_select).
    search_enabled: bool = True
    # LeadSquared lookups for searches and the owner check: never Bolt's listener pool.
    lookup_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(LOOKUP_THREADS, "logsale-lookup")
    )
    lead_search: LeadSearch | None = None  # built from `leadsquared` when not given
    product_search: ProductSearch | None = None
    owner_check: OwnerCheck | None = None
    lead_resolver: LeadResolver | None = None  # the lead typed -> ProspectId, cached
    # The account's currency symbol for revenue in messages; fetched on `background`, never waited for.
    currency: CurrencyCache | None = None
    # Who may use LogSale (LOGSALE_ALLOWED_USERS, LOGSALE_ADMINS): bot/access.py.
    access: AccessPolicy | None = None
    # What messages show revenue in: answers at once; None (a plain number) until wired.
    messages_currency: Callable[[], AccountCurrency | None] = lambda: None
    _cache_lock: threading.Lock = field(default_factory=threading.Lock)
    # App Home tabs (bot/slack_ui/home_publisher.py) and threads of message-shortcut sales.
    home: HomePublisher | None = None
    sale_threads: SaleThreads | None = None

    def __post_init__(self) -> None:
        search_client = self.leadsquared_lookups.with_options(max_wait=SEARCH_LIMITER_WAIT)
        if self.lead_search is None:
            self.lead_search = LeadSearch(search_client, self.lookup_pool)
        if self.product_search is None:
            self.product_search = ProductSearch(search_client, self.lookup_pool, on_found=self.remember_products)
        if self.lead_resolver is None:
            self.lead_resolver = LeadResolver(self.leadsquared_lookups)
        if self.owner_check is None:
            self.owner_check = OwnerCheck(self.leadsquared_lookups, self.lookup_pool)
        if self.currency is None:
            self.currency = CurrencyCache(self.leadsquared_lookups.retrieve_setting, self.background)
        if self.access is None:
            self.access = AccessPolicy(self.settings.allowed_users, self.settings.admins, self.users)

    @classmethod
    def build(cls, settings: Settings, *, start_dispatcher: bool = True) -> Services:
        web_client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
        shapes.trust_slack_api_url(settings.slack_api_url)  # response_urls on it are ours (tests, proxies)
        web_client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
        engine = make_engine(settings.database_url)
        upgrade_database(engine)  # Alembic revisions (bot/migrations); safe from several workers at once
        outbox = Outbox(engine)
        limiter = SharedRateLimiter(engine, settings.rate_limit.calls, settings.rate_limit.seconds)
        leadsquared = LeadSquaredClient(
            settings.leadsquared_base_url,
            settings.leadsquared_access_key,
            settings.leadsquared_secret_key,
            rate_limiter=limiter,
            timeout=(5.0, settings.leadsquared_timeout),
        )
        lookups = leadsquared.with_options(
            timeout=LOOKUP_TIMEOUT,
            max_wait=LOOKUP_LIMITER_WAIT,
            rate_limiter=SalesFirstLimiter(limiter, outbox.has_backlog),
        )
        dispatcher = Dispatcher(
            outbox,
            leadsquared,
            SlackNotifier(
                outbox,
                # Its own client: no rate-limit handler sleeping through a 429 (it reschedules).
                WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10),
                backoff_seconds=settings.notify_backoff_seconds,
                horizon_seconds=settings.notify_horizon_seconds,
            ),
            threads=min(8, settings.rate_limit.calls),
            # A lease shorter than one call would hand a live sale to a second worker.
            lease_seconds=max(settings.lease_seconds, settings.leadsquared_timeout + 10),
            retry_horizon_seconds=settings.retry_horizon_seconds,
            rate_limiter=limiter,
        )
        services = cls(
            settings=settings,
            web_client=web_client,
            users=UserDirectory(web_client),
            outbox=outbox,
            rate_limiter=limiter,
            leadsquared=leadsquared,
            leadsquared_lookups=lookups,
            dispatcher=dispatcher,
        )
        services.wire_home_and_threads(engine, dispatcher.notifier, start=start_dispatcher)
        if start_dispatcher:
            dispatcher.start()
            # Messages and the Home show the account's currency once the cache runs.
            services.messages_currency = services.currency.current
            dispatcher.notifier.currency = services.home.currency = services.currency.current
            services.currency.refresh_soon()
        return services

    def wire_home_and_threads(self, engine, notifier: SlackNotifier, *, start: bool) -> None:
        """The App Home publisher (refreshed when a sale changes state, in any process) and
        the threads message-shortcut sales are confirmed in."""
        tabs = HomeTabs(engine)
        self.sale_threads = SaleThreads(engine)
        notifier.thread_of = lambda record: self.sale_threads.thread_ts_for(record.submission_key)
        self.home = HomePublisher(
            outbox=self.outbox,
            tabs=tabs,
            users=self.users,
            client=self.web_client,
            is_admin=lambda user_id: self.access.is_admin(self.users.get(user_id)),
            limiter=SharedRateLimiter(engine, PUBLISH_CALLS, PUBLISH_SECONDS, name="slack_views_publish", margin=0),
            min_interval=self.settings.home_refresh_seconds,
        )
        self.dispatcher.on_state_change = lambda record: self.home.request_refresh(record.user_id)
        if start:
            self.home.start()

    def known_skus(self) -> set[str]:
        """SKUs we can recognise in a one-line entry: recent sales and product searches."""
        with self._cache_lock:
            searched = set(self.product_cache.keys())
        try:
            # Bounded: the modal's trigger_id dies 3 s after the command.
            return searched | self.outbox.known_skus()
        except Exception as error:
            log.warning("recent SKUs unavailable for one-line entry: %s", type(error).__name__)
            return searched

    def remember_products(self, products: list[dict]) -> None:
        """SKUs a product search found, for one-line entry (``known_skus``)."""
        with self._cache_lock:
            for product in products:
                sku = str(product.get("ProductSku") or "").strip()
                if sku:
                    self.product_cache[sku] = str(product.get("Name") or "")

    # --- lookups for Slack requests ----------------------------------------------------

    def prewarm(self, prefill: RawSale) -> None:
        """The modal just opened: look up its owner (and a typed email/phone lead) now, so
        the submission's checks are answered from the cache instead of inside its ack."""
        if prefill.sales_owner:
            self.owner_check.start(prefill.sales_owner)
        if lead_kind(prefill.lead.strip()) in ("email", "phone"):
            future = self.lookup_pool.submit(self.lead_resolver.resolve, prefill.lead)
            future.add_done_callback(lambda f: f.exception())  # outcome lands in the cache
