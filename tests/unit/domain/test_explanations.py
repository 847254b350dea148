"""What a salesperson is told for each kind of failure (the words; classification is tested in
tests/unit/leadsquared/test_errors.py)."""

from __future__ import annotations

import pytest

from bot.domain.explanations import (
    AUTH_TEXT,
    ErrorKind,
    Failure,
    Refusal,
    explain,
    explain_delay,
    explain_gave_up,
)

K = ErrorKind


def test_every_kind_has_words():
    for kind in ErrorKind:
        assert explain(Failure(kind)).strip()


def test_keys_refused_is_the_agreed_text_and_quotes_nothing():
    assert explain(Failure(K.AUTH, said="The API key is invalid")) == AUTH_TEXT
    assert "Ask your LeadSquared admin" in AUTH_TEXT


@pytest.mark.parametrize(
    ("refusal", "advice"),
    [
        (Refusal.WRONG_RECORD, "Check the lead, product and sales owner"),
        (Refusal.WRONG_INPUT, "Correct that field"),
        (Refusal.DUPLICATE, "already in LeadSquared"),
        (Refusal.OTHER, "will fail the same way"),
    ],
)
def test_a_refusal_quotes_leadsquared_then_advises(refusal, advice):
    text = explain(Failure(K.APPLICATION, said="Lead does not exist in the system", refusal=refusal))
    assert text.startswith("LeadSquared said: Lead does not exist in the system. ")
    assert advice in text


def test_a_silent_refusal_names_its_code():
    text = explain(Failure(K.APPLICATION, code="MXOddException"))
    assert text.startswith("LeadSquared turned the sale down (MXOddException) without saying why.")


def test_a_malformed_request_is_ours_not_the_salespersons():
    assert "problem in LogSale rather than in what you typed" in explain(Failure(K.BAD_REQUEST))
    quoted = explain(Failure(K.BAD_REQUEST, said="Invalid Input! Parameter Name: ProductSku"))
    assert quoted.startswith("LeadSquared said: Invalid Input! Parameter Name: ProductSku. ")


def test_a_delay_says_why_it_is_late_only_for_what_is_retried():
    assert explain_delay(Failure(K.RATE_LIMITED)) == (
        "LeadSquared is busy (too many requests for your account right now)."
    )
    assert explain_delay(Failure(K.UNREACHABLE)) == "I can't reach LeadSquared right now."
    assert "checking whether the sale arrived" in explain_delay(Failure(K.AMBIGUOUS))
    assert explain_delay(Failure(K.AUTH)) == AUTH_TEXT


def test_giving_up_says_whether_it_may_be_in_leadsquared():
    before = explain_gave_up(maybe_posted=False, attempts=3)
    assert "trying 3 times" in before and "Nothing you typed is lost" in before and "Edit & retry" in before
    after = explain_gave_up(maybe_posted=True, attempts=3)
    assert "may or may not be in LeadSquared" in after and "Edit & retry" not in after
