"""What the salesperson is told when a sale can't be sent: one table, in plain words.

Pure. ``bot.leadsquared.errors`` decides what LeadSquared's answer *means* (HTTP status, MX
codes, errors inside a 200, rate limits) and hands over a :class:`Failure`; this module only
words it. To change what a salesperson reads for an error, change it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ErrorKind(str, Enum):
    """Why a call to LeadSquared failed, as far as what to do next is concerned."""

    AUTH = "auth"  # keys refused (wrong keys, wrong region's host, user deactivated)
    APPLICATION = "application"  # LeadSquared said no, with its own reason
    BAD_REQUEST = "bad_request"  # the request itself was malformed (400 and the like)
    NOT_FOUND = "not_found"  # no such API (404 / 405 / redirect): wrong host or path
    RATE_LIMITED = "rate_limited"  # too many calls; nothing was done; retry after the window
    UNREACHABLE = "unreachable"  # never got there (refused, DNS, connect timeout); nothing was sent
    AMBIGUOUS = "ambiguous"  # sent, but no usable answer: it may or may not have been applied


class Refusal(Enum):
    """For APPLICATION: which kind of "no" it was, which decides the advice."""

    WRONG_RECORD = "wrong_record"  # a lead, product or owner it doesn't know
    WRONG_INPUT = "wrong_input"  # a field's value it won't take
    DUPLICATE = "duplicate"  # it already has this
    OTHER = "other"


@dataclass(frozen=True)
class Failure:
    """A failure as the explanation needs it.

    ``said`` is the service's own human message (already sanitised), or None. ``code`` is its own
    name for the reason (e.g. an MX exception type), shown only when it said nothing else.
    """

    kind: ErrorKind
    said: str | None = None
    refusal: Refusal = Refusal.OTHER
    code: str | None = None


AUTH_TEXT = (
    "LeadSquared refused our access keys — the keys may be wrong, for another region's host, "
    "or their user deactivated. Ask your LeadSquared admin."
)

_REFUSAL_HINTS = {
    Refusal.WRONG_RECORD: "Check the lead, product and sales owner, then try again.",
    Refusal.WRONG_INPUT: "Correct that field and try again.",
    Refusal.DUPLICATE: "It looks like this is already in LeadSquared — check there before trying again.",
    Refusal.OTHER: (
        "Sending it again unchanged will fail the same way — fix what it says, or ask your LeadSquared admin."
    ),
}

_KIND_TEXT = {
    ErrorKind.AUTH: AUTH_TEXT,
    ErrorKind.NOT_FOUND: (
        "LeadSquared didn't recognise the address LogSale called, so nothing was saved. The "
        "LeadSquared host setting is probably wrong — ask whoever runs LogSale to check it."
    ),
    ErrorKind.RATE_LIMITED: (
        "LeadSquared is busy: this account has hit its limit on API calls (shared with other "
        "integrations), so nothing was saved. Wait a few seconds and try again."
    ),
    ErrorKind.UNREACHABLE: (
        "LogSale couldn't reach LeadSquared (a network problem, or LeadSquared is down), so "
        "nothing was sent. Try again in a minute."
    ),
    ErrorKind.AMBIGUOUS: (
        "LeadSquared didn't give a clear answer, so we can't tell whether the sale was saved. "
        "Check the lead's sales activities in LeadSquared before logging it again, so it isn't "
        "recorded twice."
    ),
}

# For a transient failure the sale is queued and retried: why it is late.
_DELAY_TEXT = {
    ErrorKind.RATE_LIMITED: "LeadSquared is busy (too many requests for your account right now).",
    ErrorKind.UNREACHABLE: "I can't reach LeadSquared right now.",
    ErrorKind.AMBIGUOUS: "LeadSquared didn't answer in time, so I'm checking whether the sale arrived.",
}


def explain(failure: Failure) -> str:
    """What happened and what to do, in plain words for the salesperson."""
    said = f"LeadSquared said: {_sentence(failure.said)}" if failure.said else None
    if failure.kind is ErrorKind.APPLICATION:
        hint = _REFUSAL_HINTS[failure.refusal]
        if said:
            return f"{said} {hint}"
        what = f" ({failure.code})" if failure.code else ""
        return f"LeadSquared turned the sale down{what} without saying why. {hint}"
    if failure.kind is ErrorKind.BAD_REQUEST:
        head = said or "LeadSquared rejected the request as malformed."
        return (
            f"{head} This is most likely a problem in LogSale rather than in what you typed — "
            "nothing was saved. Tell whoever runs LogSale."
        )
    return _KIND_TEXT[failure.kind]


def explain_delay(failure: Failure) -> str:
    """Why a sale that will be retried is late; the full explanation for anything else."""
    return _DELAY_TEXT.get(failure.kind) or explain(failure)


def explain_gave_up(*, maybe_posted: bool, attempts: int) -> str:
    """An error of our own, ``attempts`` times over, so the sale was given up on."""
    if maybe_posted:
        return (
            "Something went wrong on our side while logging your sale, after it was sent to LeadSquared, "
            f"and trying {attempts} times didn't help. It may or may not be in LeadSquared: "
            "check the lead's activities before logging it again, and tell whoever runs LogSale."
        )
    return (
        "Something went wrong on our side while sending it to LeadSquared, and trying "
        f"{attempts} times didn't help. Nothing you typed is lost: "
        "press Edit & retry to send it again, and tell whoever runs LogSale if it keeps happening."
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."
