"""Search LeadSquared as the salesperson types, and check the sales owner — fast, cached, bounded.

No Slack here: searches return :class:`Choice` (a label and a value, already within Slack's
option limits) and the listeners turn them into Block Kit options.

How a search stays inside Slack's 3 seconds whatever LeadSquared does:

* Each LeadSquared call runs on a small dedicated thread pool (never the thread that acks).
  The caller waits until its deadline and answers with whatever finished; a call still
  running carries on and caches its answer for the next keystroke.
* Answers are cached (:class:`TTLCache`, keys lower-cased and trimmed): found results for
  minutes, empty ones briefly. Failures are not cached.
* An identical call already in flight is joined, not sent again; a call that only starts
  after everyone waiting for it gave up is not sent at all.
* The client handed in should refuse rather than wait for the shared rate limiter
  (``max_wait`` ~0): a keystroke gets cached or partial results, never a place in a queue.

The typed text itself is always offered first when it is usable as is (an email, a phone,
a ProspectId, a SKU), so a sale can be entered even when search finds nothing in time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from cachetools import TTLCache

from bot.domain.lead_text import lead_kind, phone_forms
from bot.domain.model import MAX_SKU  # a longer "SKU" is never offered as typed
from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.errors import ErrorKind, LeadSquaredError
from bot.slack_limits import MAX_OPTIONS, OPTION_TEXT_MAX, OPTION_VALUE_MAX

log = logging.getLogger(__name__)

# Slack's limits for an option (external_select answers).
# Wait this long for LeadSquared, then answer with what finished. Bolt, the network and
# Slack need the rest: the answer leaves well before 2.5 s, inside Slack's 3.
SEARCH_DEADLINE = 2.0
LEAD_MIN_QUERY = 2
PRODUCT_MIN_QUERY = 1
PRODUCT_PAGE_SIZE = 25
SEPARATOR = " · "
_LEAD_FIELDS = ("ProspectID", "FirstName", "LastName", "EmailAddress", "Phone", "Mobile")
_PRODUCT_FIELDS = ("ProductSku", "Name")


@dataclass(frozen=True)
class Choice:
    """One option: ``label`` (≤ 75 chars, plain text) and ``value`` (≤ 150 chars)."""

    label: str
    value: str


def clip(text: str, limit: int = OPTION_TEXT_MAX) -> str:
    """One line of plain text of at most ``limit`` characters, ending in "…" when cut.

    Control characters become spaces, runs of spaces collapse, and a cut never leaves a
    dangling combining mark or zero-width joiner at the end.
    """
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in str(text))
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    while cut and (unicodedata.combining(cut[-1]) or cut[-1] in "\u200d\ufe0f" or cut[-1].isspace()):
        cut = cut[:-1]
    return cut + "…"


def normalise(text: str) -> str:
    """The cache key form of what was typed: trimmed, lower-case, single spaces."""
    return " ".join(str(text or "").split()).lower()


def _usable_as_typed(text: str, limit: int) -> bool:
    return 0 < len(text) <= min(limit, OPTION_VALUE_MAX) and not any(
        unicodedata.category(ch) in ("Cc", "Cf") for ch in text
    )


def typed_choice(text: str) -> Choice:
    return Choice(clip(f"Use “{text}”"), text)


def typed_lead_choice(text: str) -> Choice | None:
    """ "Use “priya@acme.in”" when the text is usable as a lead as is (email, phone, ProspectId)."""
    typed = " ".join(str(text or "").split())
    if lead_kind(typed) is None or not _usable_as_typed(typed, OPTION_VALUE_MAX):
        return None
    return typed_choice(typed)


def typed_product_choice(text: str) -> Choice | None:
    """ "Use “SKU-1”" for any non-empty text that fits as a SKU."""
    typed = " ".join(str(text or "").split())
    return typed_choice(typed) if _usable_as_typed(typed, MAX_SKU) else None


# --------------------------------------------------------------------------- cached calls

_MISSING = object()


class _Stale(Exception):
    """The call would start after everyone waiting for it gave up: not sent."""


@dataclass
class _InFlight:
    not_after: float  # monotonic time after which nobody waits for this call any more
    future: Future | None = None


@dataclass
class CachedLookups:
    """LeadSquared calls on a small pool, cached by key, identical calls in flight joined.

    ``ttl`` is for answers with something in them, ``negative_ttl`` for empty answers.
    """

    pool: ThreadPoolExecutor
    ttl: float
    negative_ttl: float
    maxsize: int = 2000
    timer: Callable[[], float] = time.monotonic
    rate_limiter: object | None = None  # saturated when LeadSquared itself says "rate limited"
    _found: TTLCache = field(init=False, repr=False)
    _empty: TTLCache = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)
    _inflight: dict = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._found = TTLCache(self.maxsize, self.ttl, timer=self.timer)
        self._empty = TTLCache(self.maxsize, self.negative_ttl, timer=self.timer)

    def cached(self, key: str):
        """The cached answer for ``key``, or _MISSING."""
        with self._lock:
            value = self._found.get(key, _MISSING)
            if value is _MISSING:
                value = self._empty.get(key, _MISSING)
            return value

    def remember(self, key: str, value: list) -> None:
        with self._lock:
            (self._found if value else self._empty)[key] = value

    def forget(self, key: str) -> None:
        with self._lock:
            self._found.pop(key, None)
            self._empty.pop(key, None)

    def start(self, key: str, call: Callable[[], list], not_after: float) -> Future | None:
        """A future for ``call``'s answer (joining one in flight, or the answer one just
        cached), or None if the pool is gone."""
        with self._lock:
            # A call that finished since the caller looked at the cache has already left
            # _inflight: its answer is used, not asked for again.
            value = self._found.get(key, _MISSING)
            if value is _MISSING:
                value = self._empty.get(key, _MISSING)
            if value is not _MISSING:
                answered: Future = Future()
                answered.set_result(value)
                return answered
            entry = self._inflight.get(key)
            if entry is not None and entry.future is not None and not entry.future.done():
                entry.not_after = max(entry.not_after, not_after)
                return entry.future
            entry = _InFlight(not_after)
            try:
                entry.future = self.pool.submit(self._run, key, call, entry)
            except RuntimeError:  # the pool was shut down (process stopping)
                return None
            self._inflight[key] = entry
            return entry.future

    def _run(self, key: str, call: Callable[[], list], entry: _InFlight) -> list:
        try:
            if self.timer() > entry.not_after:
                raise _Stale(key)
            try:
                value = call()
            except LeadSquaredError as error:
                if error.kind is ErrorKind.RATE_LIMITED and error.status is not None and self.rate_limiter:
                    # LeadSquared itself refused (another integration shares the account):
                    # every process of ours pauses for a window.
                    self.rate_limiter.saturate()
                log.info("LeadSquared lookup %s failed: %s", key.split(":", 1)[0], error.kind.value)
                raise
            self.remember(key, value)
            return value
        finally:
            with self._lock:
                if self._inflight.get(key) is entry:
                    del self._inflight[key]

    def gather(self, calls: list[tuple[str, Callable[[], list]]], deadline: float) -> dict[str, list]:
        """Answers by key: cached ones at once, the others as far as they finish by ``deadline``
        (a ``timer()`` time). Keys that failed or didn't finish are absent."""
        answers: dict[str, list] = {}
        pending: dict[str, Future] = {}
        for key, call in calls:
            value = self.cached(key)
            if value is not _MISSING:
                answers[key] = value
                continue
            future = self.start(key, call, deadline)
            if future is not None:
                pending[key] = future
        if pending:
            wait(list(pending.values()), timeout=max(0.0, deadline - self.timer()))
        for key, future in pending.items():
            if not future.done():
                log.info("LeadSquared lookup %s still running at the deadline", key.split(":", 1)[0])
                continue
            try:
                answers[key] = future.result(timeout=0)
            except (LeadSquaredError, _Stale, CancelledError):
                pass
            except Exception:  # a bug in a lookup must not cost the salesperson the answer
                log.exception("LeadSquared lookup %s crashed", key.split(":", 1)[0])
        return answers


def _slim(records: Iterable[dict], fields: tuple[str, ...], limit: int = MAX_OPTIONS) -> list[dict]:
    """Only the fields an option needs (caches hold thousands of answers)."""
    out = []
    for record in records:
        out.append({k: record.get(k) for k in fields if record.get(k) not in (None, "")})
        if len(out) >= limit:
            break
    return out


# --------------------------------------------------------------------------- leads


def _text(value) -> str:
    return str(value).strip() if value is not None else ""


def lead_option_label(record: dict) -> str:
    """ "First Last · email · phone" with whatever parts the lead has (≤ 75 chars)."""
    name = " ".join(p for p in (_text(record.get("FirstName")), _text(record.get("LastName"))) if p)
    phone = _text(record.get("Phone")) or _text(record.get("Mobile"))
    parts = [p for p in (name, _text(record.get("EmailAddress")), phone) if p]
    if not parts:
        parts = [_text(record.get("ProspectID") or record.get("ProspectId")) or "(unnamed lead)"]
    return clip(SEPARATOR.join(parts))


def _prospect_id(record: dict) -> str:
    return _text(record.get("ProspectID") or record.get("ProspectId") or record.get("Id"))


class _CachedSearch:
    """What both searches share: a client, a deadline and cached lookups on the pool."""

    def __init__(
        self,
        client: LeadSquaredClient,
        pool: ThreadPoolExecutor,
        *,
        ttl: float,
        negative_ttl: float,
        deadline: float = SEARCH_DEADLINE,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.deadline = deadline
        self.timer = timer
        self.lookups = CachedLookups(
            pool, ttl, negative_ttl, timer=timer, rate_limiter=getattr(client, "rate_limiter", None)
        )


class LeadSearch(_CachedSearch):
    """Leads matching what was typed: by email, phone, ProspectId or quick search (name, …)."""

    def __init__(
        self,
        client: LeadSquaredClient,
        pool: ThreadPoolExecutor,
        *,
        ttl: float = 300,
        negative_ttl: float = 30,
        default_country_code: str = "91",
        **options,
    ) -> None:
        super().__init__(client, pool, ttl=ttl, negative_ttl=negative_ttl, **options)
        self.default_country_code = default_country_code

    def search(self, text: str, *, deadline: float | None = None) -> list[Choice]:
        """Options for ``text``: the typed text itself first (when it is an email, a phone or
        a ProspectId), then every lead found, valued by ProspectId. Returns within
        ``deadline`` seconds (default ``self.deadline``) whatever LeadSquared does."""
        until = self.timer() + (self.deadline if deadline is None else deadline)
        typed = " ".join(str(text or "").split())
        kind = lead_kind(typed)
        offer_typed = typed_lead_choice(typed)
        found: list[Choice] = []
        seen: set[str] = set()
        if len(typed) >= LEAD_MIN_QUERY:
            calls = self._calls(typed, kind)
            answers = self.lookups.gather(calls, until)
            for key, _call in calls:
                for record in answers.get(key, []):
                    pid = _prospect_id(record)
                    if not pid or len(pid) > OPTION_VALUE_MAX or pid.lower() in seen:
                        continue
                    seen.add(pid.lower())
                    found.append(Choice(lead_option_label(record), pid))
        # A typed ProspectId that was found is offered once, with the lead's name.
        if offer_typed is not None and typed.lower() not in seen:
            found.insert(0, offer_typed)
        return found[:MAX_OPTIONS]

    def _calls(self, typed: str, kind: str | None) -> list[tuple[str, Callable[[], list]]]:
        client = self.client
        key = normalise(typed)
        if kind == "prospect_id":

            def by_id() -> list:
                lead = client.lead_by_id(typed)
                return _slim([lead] if lead else [], _LEAD_FIELDS)

            return [(f"id:{key}", by_id)]
        calls: list[tuple[str, Callable[[], list]]] = []
        if kind == "email":
            calls.append((f"email:{key}", lambda: _slim(client.leads_by_email(typed), _LEAD_FIELDS)))
        elif kind == "phone":
            forms = phone_forms(typed, self.default_country_code)

            def by_phone() -> list:
                # Digits first, then "+CC-NATIONAL" only if needed: one call in the usual case.
                for form in forms:
                    found = client.leads_by_phone(form)
                    if found:
                        return _slim(found, _LEAD_FIELDS)
                return []

            calls.append((f"phone:{forms[0]}", by_phone))
        quick_key = "".join(c for c in typed if c.isdigit()) if kind == "phone" else typed
        calls.append(
            (f"quick:{normalise(quick_key)}", lambda: _slim(client.leads_by_quick_search(quick_key), _LEAD_FIELDS))
        )
        return calls


# --------------------------------------------------------------------------- products


def product_option_label(product: dict) -> str:
    """ "SKU · Name" (just the SKU when the name is empty or the same)."""
    sku = _text(product.get("ProductSku"))
    name = _text(product.get("Name"))
    return clip(sku if not name or name.lower() == sku.lower() else f"{sku}{SEPARATOR}{name}")


class ProductSearch(_CachedSearch):
    """Products matching what was typed (SalesActivity.svc/RetrieveProducts), valued by SKU."""

    def __init__(
        self,
        client: LeadSquaredClient,
        pool: ThreadPoolExecutor,
        *,
        ttl: float = 3600,
        negative_ttl: float = 60,
        on_found: Callable[[list[dict]], None] | None = None,
        **options,
    ) -> None:
        super().__init__(client, pool, ttl=ttl, negative_ttl=negative_ttl, **options)
        self.on_found = on_found

    def search(self, text: str, *, deadline: float | None = None) -> list[Choice]:
        """The typed SKU first (unless a product has that SKU), then each product found, valued by SKU."""
        until = self.timer() + (self.deadline if deadline is None else deadline)
        typed = " ".join(str(text or "").split())
        if len(typed) < PRODUCT_MIN_QUERY:
            return []
        key = f"products:{normalise(typed)}"
        client = self.client

        def retrieve() -> list:
            found = _slim(client.retrieve_products(typed, page_size=PRODUCT_PAGE_SIZE), _PRODUCT_FIELDS)
            if found and self.on_found is not None:
                try:
                    self.on_found(found)
                except Exception:
                    log.exception("recording found products failed")
            return found

        products = self.lookups.gather([(key, retrieve)], until).get(key, [])
        choices: list[Choice] = []
        seen: set[str] = set()
        for product in products:
            sku = _text(product.get("ProductSku"))
            if not sku or len(sku) > OPTION_VALUE_MAX or sku.lower() in seen:
                continue
            seen.add(sku.lower())
            choices.append(Choice(product_option_label(product), sku))
        # A product with exactly that SKU is offered instead, spelled as LeadSquared has it.
        offer_typed = typed_product_choice(typed)
        if offer_typed is not None and typed.lower() not in seen:
            choices.insert(0, offer_typed)
        return choices[:MAX_OPTIONS]


# --------------------------------------------------------------------------- sales owner


class OwnerVerdict(str, Enum):
    ACTIVE = "active"  # an active LeadSquared user has this email
    UNKNOWN = "unknown"  # no such user, or the user is inactive (LeadSquared answers [] for both)
    UNCHECKED = "unchecked"  # LeadSquared was slow, busy or unreachable: we don't know


def owner_error(email: str) -> str:
    return f"No active LeadSquared user has the email {email}. Use the email you sign in to LeadSquared with."


class VerdictStore(Protocol):
    """Owner verdicts shared by every process (bot.delivery.owner_verdicts). Any call may
    raise (database slow or down): the check then asks LeadSquared, as without a store."""

    def get(self, email: str, now: float) -> tuple[bool, float] | None:
        """(active, expires_at) if a verdict for ``email`` is stored that expires after ``now``."""

    def put(self, email: str, active: bool, expires_at: float) -> None:
        """Store the verdict (which also ends the check claimed for ``email``)."""

    def claim(self, email: str, now: float, seconds: float) -> bool:
        """True: the caller asks LeadSquared; False: another process is asking (claimed < ``seconds`` ago)."""

    def release(self, email: str) -> None:
        """The claimed check ended without a verdict."""


def _verdict(answer: list) -> OwnerVerdict:
    return OwnerVerdict.ACTIVE if answer[0]["active"] else OwnerVerdict.UNKNOWN


class PendingOwnerCheck:
    """An owner check under way (or already answered from the cache)."""

    def __init__(self, future: Future | None, known: OwnerVerdict | None = None):
        self._future = future
        self._known = known

    def verdict(self, timeout: float) -> OwnerVerdict:
        """The answer, waiting at most ``timeout`` seconds; UNCHECKED when it isn't in by then."""
        if self._known is not None:
            return self._known
        if self._future is None:
            return OwnerVerdict.UNCHECKED
        try:
            answer = self._future.result(timeout=max(0.0, timeout))
        except LeadSquaredError as error:
            log.info("sales owner not checked: LeadSquared %s", error.kind.value)
            return OwnerVerdict.UNCHECKED
        except Exception as error:  # TimeoutError (still running), _Stale, CancelledError
            log.info("sales owner not checked: %s", type(error).__name__)
            return OwnerVerdict.UNCHECKED
        return _verdict(answer)


class OwnerCheck:
    """Is ``SalesOwnerEmail`` an active LeadSquared user? (User/Retrieve/ByEmailAddress: a known
    user is kept for an hour, an unknown one for five minutes, failures not at all.)

    Verdicts are kept in this process and, through ``verdict_store``, for every process: a
    miss here reads the store first (on the lookup pool, bounded), and asks LeadSquared only
    when nothing unexpired is stored there or the store can't answer. One email has at most
    one check in flight per process, and, through the store's claims, in all of them: a process
    that finds another asking waits up to ``claim_seconds`` for its verdict (then asks itself).
    ``clock`` is wall-clock time (verdicts and claims expire by it).
    """

    def __init__(
        self,
        client: LeadSquaredClient,
        pool: ThreadPoolExecutor,
        *,
        ttl: float = 3600,
        negative_ttl: float = 300,
        verdict_store: VerdictStore | None = None,
        claim_seconds: float = 3.0,
        timer: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.pool = pool
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.verdict_store = verdict_store
        self.claim_seconds = claim_seconds
        self.timer = timer
        self.clock = clock
        # Answers are [{"active": bool, "until": clock time}]; the cache's own ttl only bounds
        # how long an entry is held, "until" says whether it still counts.
        self.lookups = CachedLookups(
            pool,
            max(ttl, negative_ttl),
            max(ttl, negative_ttl),
            timer=timer,
            rate_limiter=getattr(client, "rate_limiter", None),
        )

    def start(self, email: str, *, give_up_after: float = 5.0) -> PendingOwnerCheck:
        """Begin the check (on the pool) and return at once; ask ``verdict(timeout)`` later."""
        address = str(email or "").strip()
        stored_as = normalise(address)
        key = f"user:{stored_as}"
        cached = self.lookups.cached(key)
        if cached is not _MISSING:
            if cached[0]["until"] > self.clock():
                return PendingOwnerCheck(None, _verdict(cached))
            self.lookups.forget(key)

        def retrieve() -> list:
            claimed = False
            shared = self._read_store(stored_as)
            if shared is None:
                claimed, shared = self._claim_or_wait(stored_as)
            if shared is not None:
                active, until = shared
                return [{"active": active, "until": until}]
            try:
                users = self.client.users_by_email(address)
            except BaseException:
                if claimed:
                    self._release(stored_as)
                raise
            active = bool(users)
            until = self.clock() + (self.ttl if active else self.negative_ttl)
            self._write_store(stored_as, active, until)
            return [{"active": active, "until": until}]

        future = self.lookups.start(key, retrieve, self.timer() + give_up_after)
        return PendingOwnerCheck(future)

    def check(self, email: str, *, timeout: float = 2.0) -> OwnerVerdict:
        return self.start(email, give_up_after=timeout).verdict(timeout)

    def _read_store(self, email: str) -> tuple[bool, float] | None:
        if self.verdict_store is None:
            return None
        try:
            return self.verdict_store.get(email, self.clock())
        except Exception as error:  # a slow or broken database: ask LeadSquared instead
            log.info("stored owner verdicts unavailable (%s): asking LeadSquared", type(error).__name__)
            return None

    def _claim_or_wait(self, email: str) -> tuple[bool, tuple[bool, float] | None]:
        """(True, None): this process asks LeadSquared, having claimed the check (True, verdict: no
        need, a check that ended meanwhile stored one; its claim lapses). (False, verdict):
        the verdict another process's check stored meanwhile. (False, None): ask anyway (no store,
        the store failed, or the other check took over ``claim_seconds``)."""
        if self.verdict_store is None:
            return False, None
        deadline = time.monotonic() + self.claim_seconds
        pause = 0.05
        while True:
            try:
                if self.verdict_store.claim(email, self.clock(), self.claim_seconds):
                    # A check that ended since our first look left its verdict and no claim.
                    return True, self._read_store(email)
            except Exception as error:
                log.info("owner checks not shared (%s): asking LeadSquared", type(error).__name__)
                return False, None
            if time.monotonic() + pause > deadline:
                log.info("another process's owner check took over %g s: asking LeadSquared", self.claim_seconds)
                return False, None
            time.sleep(pause)
            pause = min(pause * 2, 0.25)
            shared = self._read_store(email)
            if shared is not None:
                return False, shared

    def _release(self, email: str) -> None:
        try:
            self.verdict_store.release(email)
        except Exception as error:  # the claim expires by itself after claim_seconds
            log.info("owner check claim not released (%s)", type(error).__name__)

    def _write_store(self, email: str, active: bool, until: float) -> None:
        if self.verdict_store is None:
            return
        store = self.verdict_store

        def write() -> None:
            try:
                store.put(email, active, until)
            except Exception as error:  # other processes just ask LeadSquared themselves
                log.info("owner verdict not shared (%s)", type(error).__name__)

        with contextlib.suppress(RuntimeError):  # the pool was shut down (process stopping)
            self.pool.submit(write)  # the answer doesn't wait for the database
