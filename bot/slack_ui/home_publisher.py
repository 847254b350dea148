"""Publishing App Home tabs: at once when a user opens it, coalesced when their sales change.

views.publish is Tier 4 (100+ calls a minute, per workspace), so a burst of state changes
must not turn into a burst of publishes: changes only ask for a refresh (HomeTabs, in the
database, so a change in any process reaches the Home served by any other), and a refresher
thread in each web process publishes each asking user at most once per
``min_interval`` seconds. Every publish also takes a slot of a shared limiter kept under
Slack's limit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.delivery.home_tabs import HomeTabs
from bot.delivery.outbox import Outbox, SaleState, stored_date
from bot.delivery.workers import WorkerPool
from bot.leadsquared.currency import AccountCurrency
from bot.slack_ui.home import HomeData, build_home_view
from bot.slack_ui.users import UserDirectory

log = logging.getLogger(__name__)

# Below Slack's "100+ a minute" for views.publish, shared by every process.
PUBLISH_CALLS, PUBLISH_SECONDS = 80, 60.0
RECENT_SALES = 10


class HomePublisher:
    def __init__(
        self,
        *,
        outbox: Outbox,
        tabs: HomeTabs,
        users: UserDirectory,
        client: WebClient,
        is_admin: Callable[[str], bool],
        limiter=None,
        min_interval: float = 5.0,
        currency: Callable[[], AccountCurrency | None] = lambda: None,
    ):
        self.outbox = outbox
        self.tabs = tabs
        self.users = users
        self.client = client
        self.is_admin = is_admin
        self.limiter = limiter
        self.min_interval = min_interval
        self.currency = currency  # answers at once (a cache): the Home never waits for it
        poll = max(0.2, min(1.0, self.min_interval / 2))
        self._pool = WorkerPool("home-refresh", self._refresh_pass, idle_poll=poll)

    # --- what the tab shows ------------------------------------------------------

    def data_for(
        self,
        user_id: str,
        *,
        notice: str | None = None,
        notice_detail: str | None = None,
        now: datetime | None = None,
    ) -> HomeData:
        now = now or datetime.now(timezone.utc)
        user = self.users.get(user_id)
        tz = _zone(user.tz)
        local = now.astimezone(tz)
        month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)
        logged = self.outbox.logged_since(user_id, stored_date(month_start))
        revenue = sum((_decimal(r.revenue) for r in logged), Decimal(0))
        attention = total = None
        if self.is_admin(user_id):
            attention = self.outbox.sales_in_states((SaleState.FAILED, SaleState.UNKNOWN), limit=200)
            total = len(attention)
        return HomeData(
            month_label=local.strftime("%B %Y"),
            month_count=len(logged),
            month_revenue=format(revenue, "f"),
            recent=self.outbox.recent_for_user(user_id, limit=RECENT_SALES),
            attention=attention,
            attention_total=total or 0,
            notice=notice,
            notice_detail=notice_detail,
            locale=user.locale,
            currency=self.currency(),
        )

    # --- publishing -----------------------------------------------------------------

    def publish(
        self, user_id: str, *, reason: str, notice: str | None = None, notice_detail: str | None = None
    ) -> bool:
        try:
            view = build_home_view(self.data_for(user_id, notice=notice, notice_detail=notice_detail))
            if self.limiter is not None and not self.limiter.acquire(max_wait=5.0):
                log.info("home for %s: no views.publish slot free; will refresh later", user_id)
                self.tabs.request_refresh([user_id])
                return False
            self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as error:
            log.warning("views.publish for %s failed: %s", user_id, error.response.get("error"))
            metrics.count_home_publish(reason, False)
            return False
        except Exception:
            log.exception("home for %s not published", user_id)
            metrics.count_home_publish(reason, False)
            return False
        metrics.count_home_publish(reason, True)
        return True

    def opened(self, user_id: str) -> bool:
        """The user opened the Home tab: show it now, and keep it fresh from here on."""
        self.tabs.opened(user_id)
        return self.publish(user_id, reason="opened")

    def request_refresh(self, *user_ids: str | None) -> None:
        """Something these users' tabs show has changed (cheap; never raises)."""
        try:
            self.tabs.request_refresh([u for u in user_ids if u])
        except Exception as error:  # the tab is a view of the outbox: it catches up on the next open
            log.warning("home refresh not requested: %s", type(error).__name__)

    def refresh_due(self) -> int:
        """One pass: publish every tab whose refresh is due and that this process claimed."""
        published = 0
        for user_id in self.tabs.claim_due(min_interval=self.min_interval):
            published += self.publish(user_id, reason="refresh")
        return published

    # --- the refresher thread -------------------------------------------------------

    def start(self) -> None:
        self._pool.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._pool.stop(timeout)

    def _refresh_pass(self, _worker_id: str) -> bool:
        try:
            self.refresh_due()
        except Exception as error:  # database away: the requests stay stored, try again
            log.warning("home refresh pass failed: %s", type(error).__name__)
        return False  # one pass per poll: refreshes are coalesced, never chased


def _zone(name: str | None):
    try:
        return ZoneInfo(name) if name else timezone.utc
    except Exception:  # noqa: BLE001 - an odd tz from Slack: count the month in UTC
        return timezone.utc


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return Decimal(0)
