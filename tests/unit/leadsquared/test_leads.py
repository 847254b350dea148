"""Lead resolution (text -> ProspectId) against the stand-in LeadSquared."""

from __future__ import annotations

import pytest

from bot.domain.lead_text import PROSPECT_ID_RE, lead_kind, phone_forms
from bot.domain.model import LeadRef
from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.errors import ErrorKind, LeadSquaredError
from bot.leadsquared.leads import LeadNotResolved, lead_label, resolve_lead
from tests.standins.leadsquared import LeadSquaredStandIn

PID = "3c8c8d02-8374-11e7-ab78-02de49b06427"


@pytest.fixture
def lsq():
    with LeadSquaredStandIn() as standin:
        yield standin


@pytest.fixture
def client(lsq):
    return LeadSquaredClient(lsq.url, lsq.access_key, lsq.secret_key, timeout=(2.0, 2.0))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (PID, "prospect_id"),
        (PID.upper(), "prospect_id"),
        (f"  {PID}\n", "prospect_id"),
        ("priya@acme.in", "email"),
        (" Priya.Shah+deals@acme.co.in ", "email"),
        ("9876543210", "phone"),
        ("+91 98765 43210", "phone"),
        ("+91-98765-43210", "phone"),
        ("(+91) 98765.43210", "phone"),
        ("(022) 2345-6789", "phone"),
        ("+1 (555) 123-4567", "phone"),
        ("1234567", "phone"),
        ("", None),
        ("   ", None),
        ("Priya Shah", None),
        ("priya@", None),
        ("@acme.in", None),
        ("priya@acme", None),
        ("12345", None),  # too short for a phone
        ("1234567890123456", None),  # too long
        ("98765abc10", None),
        ("3c8c8d02-8374-11e7-ab78-02de49b0642", None),  # one hex short
        ("98-76+543210", None),  # "+" only at the start
    ],
)
def test_lead_kind(text, kind):
    assert lead_kind(text) == kind


def test_prospect_id_re():
    assert PROSPECT_ID_RE.match(PID)
    assert not PROSPECT_ID_RE.match("3c8c8d0283741 1e7ab7802de49b06427")
    assert not PROSPECT_ID_RE.match(PID + "0")


@pytest.mark.parametrize(
    ("text", "forms"),
    [
        ("9876543210", ["9876543210", "+91-9876543210"]),
        ("98765 43210", ["9876543210", "+91-9876543210"]),
        ("+91 98765 43210", ["919876543210", "+91-9876543210"]),
        ("+91-9876543210", ["919876543210", "+91-9876543210"]),
        ("09876543210", ["09876543210", "+91-9876543210"]),  # trunk 0
        ("0091 98765 43210", ["00919876543210", "+91-9876543210"]),  # international prefix
        ("+1 (555) 123-4567", ["15551234567", "+1-5551234567"]),
        ("1234567", ["1234567"]),  # too short for +CC-NATIONAL
    ],
)
def test_phone_forms(text, forms):
    assert phone_forms(text) == forms


def test_phone_forms_default_country_code():
    assert phone_forms("9876543210", "44") == ["9876543210", "+44-9876543210"]
    assert phone_forms("9876543210", "+1") == ["9876543210", "+1-9876543210"]


@pytest.mark.parametrize(
    ("record", "label"),
    [
        ({"FirstName": "Priya", "LastName": "Shah", "EmailAddress": "p@x.in"}, "Priya Shah"),
        ({"FirstName": "Priya", "LastName": None, "EmailAddress": "p@x.in"}, "Priya"),
        ({"FirstName": None, "LastName": "Shah"}, "Shah"),
        ({"FirstName": " ", "LastName": "", "EmailAddress": "p@x.in"}, "p@x.in"),
        ({"EmailAddress": None, "Phone": "9876543210"}, "9876543210"),
        ({"Mobile": "+91-9876543210"}, "+91-9876543210"),
        ({"ProspectID": PID}, PID),
        ({}, "(unnamed lead)"),
    ],
)
def test_lead_label(record, label):
    assert lead_label(record) == label


def test_prospect_id_needs_no_call(lsq, client):
    ref = resolve_lead(f" {PID} ", client)
    assert ref == LeadRef(text=PID, kind="prospect_id", prospect_id=PID, label=None)
    assert lsq.calls == []


def test_resolve_by_email(lsq, client):
    pid = lsq.add_lead(first_name="Priya", last_name="Shah", email="priya@acme.in")
    ref = resolve_lead("Priya@Acme.in", client)
    assert ref == LeadRef(text="Priya@Acme.in", kind="email", prospect_id=pid, label="Priya Shah")
    assert len(lsq.calls) == 1


def test_resolve_by_email_label_falls_back_to_email(lsq, client):
    lsq.add_lead(email="nameless@acme.in")
    assert resolve_lead("nameless@acme.in", client).label == "nameless@acme.in"


def test_resolve_email_not_found(lsq, client):
    with pytest.raises(LeadNotResolved) as info:
        resolve_lead("priya@acme.in", client)
    assert info.value.message == (
        "No lead in LeadSquared has the email priya@acme.in. "
        "Check the spelling, or use their phone number or ProspectId."
    )
    assert str(info.value) == info.value.message


def test_resolve_email_many(lsq, client):
    a = lsq.add_lead(first_name="Priya", last_name="Shah", email="priya@acme.in")
    b = lsq.add_lead(first_name="P.", last_name="Shah", email="priya@acme.in")
    with pytest.raises(LeadNotResolved) as info:
        resolve_lead("priya@acme.in", client)
    message = info.value.message
    assert message.startswith("Two leads have the email priya@acme.in: ")
    assert f"Priya Shah (ProspectId {a})" in message and f"P. Shah (ProspectId {b})" in message
    assert message.endswith("Enter the ProspectId of the one you mean.")


@pytest.mark.parametrize("typed", ["9876543210", "98765 43210", "+91 98765-43210", "(+91) 98765.43210", "919876543210"])
def test_resolve_phone_stored_plain(lsq, client, typed):
    pid = lsq.add_lead(first_name="Priya", last_name="Shah", phone="9876543210")
    ref = resolve_lead(typed, client)
    assert (ref.kind, ref.prospect_id, ref.label, ref.text) == ("phone", pid, "Priya Shah", typed)
    assert len(lsq.calls) == 1  # digits-only form matched first time
    assert lsq.calls[0].query["phone"].isdigit()


@pytest.mark.parametrize("typed", ["9876543210", "+91 98765 43210", "098765 43210"])
def test_resolve_phone_stored_with_country_code_dash(lsq, client, typed):
    pid = lsq.add_lead(first_name="Priya", mobile="+91-9876543210")
    ref = resolve_lead(typed, client)
    assert ref.prospect_id == pid
    assert [c.query["phone"] for c in lsq.calls][-1] == "+91-9876543210"
    assert len(lsq.calls) == 2


def test_resolve_phone_other_country(lsq, client):
    pid = lsq.add_lead(first_name="Sam", phone="+1-5551234567")
    assert resolve_lead("+1 (555) 123-4567", client).prospect_id == pid
    assert [c.query["phone"] for c in lsq.calls] == ["15551234567", "+1-5551234567"]


def test_resolve_phone_default_country_code(lsq, client):
    pid = lsq.add_lead(first_name="Tom", phone="+44-9876543210")
    assert resolve_lead("9876543210", client, default_country_code="44").prospect_id == pid
    with pytest.raises(LeadNotResolved):
        resolve_lead("9876543210", client)  # tries +91-… by default


def test_resolve_phone_not_found(lsq, client):
    with pytest.raises(LeadNotResolved) as info:
        resolve_lead("98765 43210", client)
    assert info.value.message == (
        "No lead in LeadSquared has the phone number 98765 43210. Check the number, or use their email or ProspectId."
    )
    assert [c.query["phone"] for c in lsq.calls] == ["9876543210", "+91-9876543210"]


def test_resolve_phone_many():
    with LeadSquaredStandIn(phone_lookup_returns_all=True) as lsq:
        client = LeadSquaredClient(lsq.url, lsq.access_key, lsq.secret_key)
        lsq.add_lead(first_name="Priya", last_name="Shah", email="priya@acme.in", phone="9876543210")
        lsq.add_lead(first_name="P.", last_name="Shah", email="ps@x.in", mobile="9876543210")
        with pytest.raises(LeadNotResolved) as info:
            resolve_lead("9876543210", client)
    message = info.value.message
    assert message.startswith("Two leads have the phone 9876543210: ")
    assert "Priya Shah (priya@acme.in)" in message and "P. Shah (ps@x.in)" in message
    assert message.endswith("Enter the email or ProspectId of the one you mean.")


def test_resolve_many_lists_at_most_five():
    with LeadSquaredStandIn(phone_lookup_returns_all=True) as lsq:
        client = LeadSquaredClient(lsq.url, lsq.access_key, lsq.secret_key)
        for i in range(7):
            lsq.add_lead(first_name=f"Lead{i}", phone="9876543210")
        with pytest.raises(LeadNotResolved) as info:
            resolve_lead("9876543210", client)
    assert info.value.message.startswith("7 leads have the phone 9876543210")
    assert "and 2 more" in info.value.message


def test_duplicate_records_of_one_lead_are_one_match():
    class Doubling:
        def leads_by_email(self, email):
            return [{"ProspectID": PID, "FirstName": "A"}, {"ProspectID": PID.upper(), "FirstName": "A"}]

    assert resolve_lead("a@b.in", Doubling()).prospect_id == PID


def test_resolve_unrecognised_text(lsq, client):
    with pytest.raises(LeadNotResolved) as info:
        resolve_lead("Priya Shah", client)
    assert "doesn't look like an email, a phone number or a LeadSquared ProspectId" in info.value.message
    with pytest.raises(LeadNotResolved) as info:
        resolve_lead("  ", client)
    assert info.value.message == "Enter the lead's email, phone number or LeadSquared ProspectId."
    assert lsq.calls == []


def test_leadsquared_errors_propagate_unchanged(lsq, client):
    lsq.fail_next("rate_429")
    with pytest.raises(LeadSquaredError) as info:
        resolve_lead("priya@acme.in", client)
    assert info.value.kind is ErrorKind.RATE_LIMITED
    lsq.fail_next("bare_500_html", path_contains="RetrieveLeadByPhoneNumber")
    with pytest.raises(LeadSquaredError) as info:
        resolve_lead("9876543210", client)
    assert info.value.kind is ErrorKind.AMBIGUOUS
    lsq.fail_next("auth_401")
    with pytest.raises(LeadSquaredError) as info:
        resolve_lead("9876543210", client)
    assert info.value.kind is ErrorKind.AUTH
