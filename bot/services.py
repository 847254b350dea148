"""The composition root: builds the parts of one process (LeadSquared, the outbox, the
dispatcher, Slack) and connects them. Listeners get only what they use (``listener_tools``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot import thread_names
from bot.access import AccessPolicy
from bot.config import Settings
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.home_tabs import HomeTabs
from bot.delivery.outbox import Outbox, make_engine, pool_sizes_for
from bot.delivery.owner_verdicts import OwnerVerdicts
from bot.delivery.rate_limit import SalesFirstLimiter, SharedRateLimiter
from bot.delivery.sale_threads import SaleThreads
from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.currency import AccountCurrency, CurrencyCache
from bot.leadsquared.known_skus import KnownSkus
from bot.leadsquared.lookups import Lookups
from bot.listeners.tools import ListenerTools
from bot.schema_upgrade import upgrade_database
from bot.slack_ui import shapes
from bot.slack_ui.home_publisher import PUBLISH_CALLS, PUBLISH_SECONDS, HomePublisher
from bot.slack_ui.notifier import SlackNotifier
from bot.slack_ui.users import UserDirectory

# The LeadSquared client for lookups made for Slack requests (bot/leadsquared/lookups.py):
# short timeouts, and it barely waits for the shared rate limiter, letting sales go first.
LOOKUP_TIMEOUT = (2.0, 10.0)
LOOKUP_LIMITER_WAIT = 0.3
# The sales client connects within 5 s and reads within LEADSQUARED_TIMEOUT: the longest a call it
# sends can be in flight, which the shared limiter holds its slot for (bot/delivery/rate_limit.py).
SALE_CONNECT_TIMEOUT = 5.0
# Threads that open forms after their acks (views.open is a Slack round trip, users.info another
# for a new salesperson). They only wait on Slack, so twice a worker's request threads (which ack):
# a burst of /logsale as large as a worker can ack still reaches Slack inside its 3 s trigger_id.
FORM_THREADS = 64


@dataclass
class Services:
    """The parts of one process, built and connected by ``build``. Listeners never see this:
    they get :class:`ListenerTools` (``listener_tools``) through Bolt's context."""

    settings: Settings
    web_client: WebClient
    users: UserDirectory
    outbox: Outbox
    leadsquared: LeadSquaredClient  # background: waits for the limiter, long timeouts
    dispatcher: Dispatcher
    lookups: Lookups  # for Slack requests: on the lookup pool, barely waits for the limiter
    known_skus: KnownSkus
    access: AccessPolicy  # who may use LogSale (LOGSALE_ALLOWED_USERS, LOGSALE_ADMINS)
    # Short jobs started after an ack (Undo, Home notices and refreshes: ListenerTools.after_ack).
    background: ThreadPoolExecutor
    forms: ThreadPoolExecutor  # opening the /logsale form after its ack (bot/listeners/modal_opening.py)
    # The account's currency symbol for revenue in messages; fetched on `background`, never waited for.
    currency: CurrencyCache
    home: HomePublisher  # App Home tabs, refreshed when a sale changes state, in any process
    sale_threads: SaleThreads  # threads of message-shortcut sales
    started: bool = False

    @classmethod
    def build(cls, settings: Settings, *, start_dispatcher: bool = True) -> Services:
        web_client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
        shapes.trust_slack_api_url(settings.slack_api_url)  # response_urls on it are ours (tests, proxies)
        web_client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
        engine = make_engine(
            settings.database_url,
            pool_sizes=pool_sizes_for(settings.database_url, settings.web_concurrency),
        )
        upgrade_database(engine)  # Alembic revisions (bot/migrations); safe from several workers at once
        outbox = Outbox(engine)
        limiter = SharedRateLimiter(
            engine,
            settings.rate_limit.calls,
            settings.rate_limit.seconds,
            max_flight=SALE_CONNECT_TIMEOUT + settings.leadsquared_timeout,  # the longest call it lets out
        )
        leadsquared = LeadSquaredClient(
            settings.leadsquared_base_url,
            settings.leadsquared_access_key,
            settings.leadsquared_secret_key,
            rate_limiter=limiter,
            timeout=(SALE_CONNECT_TIMEOUT, settings.leadsquared_timeout),
        )
        lookups_client = leadsquared.with_options(
            timeout=LOOKUP_TIMEOUT,
            max_wait=LOOKUP_LIMITER_WAIT,
            rate_limiter=SalesFirstLimiter(limiter, outbox.has_backlog),
        )
        # Bounded read (outbox.ACK_DB_TIMEOUT): asked before the modal opens.
        known_skus = KnownSkus(outbox.known_skus)
        notifier = SlackNotifier(
            outbox,
            # Its own client: no rate-limit handler sleeping through a 429 (it reschedules).
            WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10),
            backoff_seconds=settings.notify_backoff_seconds,
            horizon_seconds=settings.notify_horizon_seconds,
        )
        dispatcher = Dispatcher(
            outbox,
            leadsquared,
            notifier,
            threads=min(8, settings.rate_limit.calls),
            # A lease shorter than one call would hand a live sale to a second worker.
            lease_seconds=max(settings.lease_seconds, settings.leadsquared_timeout + 10),
            retry_horizon_seconds=settings.retry_horizon_seconds,
            rate_limiter=limiter,
        )
        users = UserDirectory(web_client)
        access = AccessPolicy(settings.allowed_users, settings.admins, users)
        background = ThreadPoolExecutor(4, "logsale-bg", thread_names.namer(thread_names.BACKGROUND))
        forms = ThreadPoolExecutor(FORM_THREADS, "logsale-forms", thread_names.namer(thread_names.FORMS))
        sale_threads = SaleThreads(engine)
        notifier.thread_of = lambda record: sale_threads.thread_ts_for(record.submission_key)
        home = HomePublisher(
            outbox=outbox,
            tabs=HomeTabs(engine),
            users=users,
            client=web_client,
            is_admin=lambda user_id: access.is_admin(users.get(user_id)),
            # Stamped at the send, never held or restamped: nothing tells it of Slack's answer.
            limiter=SharedRateLimiter(
                engine, PUBLISH_CALLS, PUBLISH_SECONDS, name="slack_views_publish", margin=0, max_flight=0
            ),
            min_interval=settings.home_refresh_seconds,
        )
        # A sale changed state (in any process): its owner's App Home is refreshed.
        dispatcher.on_state_change = lambda record: home.request_refresh(record.user_id)
        services = cls(
            settings=settings,
            web_client=web_client,
            users=users,
            outbox=outbox,
            leadsquared=leadsquared,
            dispatcher=dispatcher,
            lookups=Lookups(
                lookups_client, on_products_found=known_skus.remember_products, owner_verdicts=OwnerVerdicts(engine)
            ),
            known_skus=known_skus,
            access=access,
            background=background,
            forms=forms,
            currency=CurrencyCache(lookups_client.retrieve_setting, background),
            home=home,
            sale_threads=sale_threads,
        )
        if start_dispatcher:
            services.start()
        return services

    def start(self) -> None:
        """This process's background work: the App Home refresh loop, the dispatcher (and its
        notifier), and the account's currency. Socket Mode calls it once Slack has let it in."""
        self.home.start()
        self.dispatcher.start()
        # Messages and the Home show the account's currency once the cache runs.
        self.dispatcher.notifier.currency = self.home.currency = self.currency.current
        self.started = True
        self.currency.refresh_soon()

    def messages_currency(self) -> AccountCurrency | None:
        """What messages show revenue in: answers at once; None (a plain number) until started."""
        return self.currency.current() if self.started else None

    def listener_tools(self) -> ListenerTools:
        """What the listeners use (bot/listeners/tools.py), put in Bolt's context by bot/app.py."""
        return ListenerTools(
            outbox=self.outbox,
            users=self.users,
            access=self.access,
            lookups=self.lookups,
            known_skus=self.known_skus,
            leadsquared=self.leadsquared,
            dispatcher=self.dispatcher,
            home=self.home,
            sale_threads=self.sale_threads,
            background=self.background,
            forms=self.forms,
            messages_currency=self.messages_currency,
        )
