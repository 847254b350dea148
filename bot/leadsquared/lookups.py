"""LeadSquared lookups made for Slack requests: search as you type (leads, products), the
sales-owner check and the lead typed at submission.

They run on a pool of their own, never the thread that acks, and a request waits for them
only as long as Slack's 3 seconds allow. The call itself may take longer: a late answer
still fills the cache for the next keystroke or submission, which is what keeps a slow
LeadSquared from slowing every ack. The client handed in is the one for Slack requests
(short timeouts, barely waits for the shared rate limiter).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot import thread_names
from bot.domain.lead_text import lead_kind
from bot.domain.model import LeadRef, RawSale
from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.leads import LeadResolver
from bot.leadsquared.search import LeadSearch, OwnerCheck, ProductSearch, VerdictStore

# A keystroke never queues for the rate limiter: it gets cached or partial results instead.
SEARCH_LIMITER_WAIT = 0.0
LOOKUP_THREADS = 16


class Lookups:
    def __init__(
        self,
        client: LeadSquaredClient,
        *,
        on_products_found: Callable[[list[dict]], None] | None = None,
        search_enabled: bool = True,
        owner_verdicts: VerdictStore | None = None,
    ) -> None:
        self.pool = ThreadPoolExecutor(LOOKUP_THREADS, "logsale-lookup", thread_names.namer(thread_names.LOOKUP))
        search_client = client.with_options(max_wait=SEARCH_LIMITER_WAIT)
        self.lead_search = LeadSearch(search_client, self.pool)
        self.product_search = ProductSearch(search_client, self.pool, on_found=on_products_found)
        # Owner verdicts are shared with the other processes (a form may be submitted on another).
        self.owner_check = OwnerCheck(client, self.pool, verdict_store=owner_verdicts)
        self.lead_resolver = LeadResolver(client)  # the lead typed -> ProspectId, cached
        # The modal's lead/product inputs search as you type (external_select).
        self.search_enabled = search_enabled

    def resolve_lead(self, text: str) -> Future[LeadRef]:
        """Resolve a typed lead on the pool; wait for it only as long as the request can."""
        return self.pool.submit(self.lead_resolver.resolve, text)

    def prewarm(self, prefill: RawSale) -> None:
        """The modal just opened: look up its owner (and a typed email/phone lead) now, so
        the submission's checks are answered from the cache instead of inside its ack."""
        if prefill.sales_owner:
            self.owner_check.start(prefill.sales_owner)
        if lead_kind(prefill.lead.strip()) in ("email", "phone"):
            future = self.resolve_lead(prefill.lead)
            future.add_done_callback(lambda f: f.exception())  # outcome lands in the cache
