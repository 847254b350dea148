"""Every thread that calls LeadSquared at once keeps its connection for the next call.

requests' default pool keeps 10 connections per host. The bot calls LeadSquared from up to
28 threads at once (dispatcher, lookups, background); with the default, every call past the
tenth opened a connection — in production a TLS handshake — only to discard it afterwards.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from bot.leadsquared.client import KEPT_CONNECTIONS, LeadSquaredClient
from tests.standins.leadsquared import LeadSquaredStandIn
from tests.tcp_proxy import TcpProxy

AT_ONCE = 28  # the dispatcher's 8 + the lookups' 16 + the background pool's 4
ROUNDS = 3


def test_28_threads_calling_at_once_reuse_their_connections_round_after_round(caplog):
    assert KEPT_CONNECTIONS >= AT_ONCE
    with LeadSquaredStandIn(access_key="ak-kept", secret_key="sk-kept") as lsq:
        lead = lsq.add_lead(first_name="Asha", last_name="Rao", email="asha@buyer.in")
        lsq.delay = 0.3  # every call of a round is in flight at the same time
        proxy = TcpProxy(int(lsq.url.rsplit(":", 1)[1]))
        try:
            client = LeadSquaredClient(f"http://127.0.0.1:{proxy.port}", "ak-kept", "sk-kept")
            with caplog.at_level(logging.WARNING, logger="urllib3"), ThreadPoolExecutor(AT_ONCE) as pool:
                for _ in range(ROUNDS):
                    found = list(pool.map(lambda _: client.lead_by_id(lead), range(AT_ONCE)))
                    assert all(f and f.get("ProspectID") == lead for f in found)
            opened = proxy.accepted
        finally:
            proxy.close()
    # The first round opens one connection a thread; the later rounds open none.
    assert opened <= AT_ONCE, f"{opened} connections for {ROUNDS} rounds of {AT_ONCE} calls"
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
