"""Who may use LogSale, decided from any payload shape; and values from Slack read by shape."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.access import AccessPolicy, user_id_of
from bot.slack_ui import shapes
from bot.slack_ui.users import SlackUser


class FakeDirectory:
    """users.info as a dict; None = Slack did not answer in time."""

    def __init__(self, users: dict[str, SlackUser | None]):
        self.users = users
        self.asked: list[str] = []

    def get(self, user_id, *, wait=None):
        self.asked.append(user_id)
        return self.users.get(user_id) or SlackUser(user_id)

    def cached(self, user_id):
        return self.users.get(user_id)


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"command": "/logsale", "user_id": "U0PRIYA"}, "U0PRIYA"),  # slash command
        ({"type": "view_submission", "user": {"id": "U0PRIYA", "team_id": "T1"}, "team": None}, "U0PRIYA"),
        ({"type": "block_actions", "user": {"id": "W0GRID", "team_id": "T1"}, "enterprise": {"id": "E1"}}, "W0GRID"),
        ({"type": "event_callback", "event": {"type": "app_home_opened", "user": "U0PRIYA"}}, "U0PRIYA"),
        ({"type": "shortcut", "user": "U0PRIYA"}, "U0PRIYA"),
        ({"type": "block_actions", "user": ["U0PRIYA"]}, None),
        ({"type": "block_actions", "user": {"id": 42}}, None),
        ({"type": "block_actions", "user": {"id": "U0 PRIYA<>"}}, None),
        ({"type": "event_callback", "event": "x"}, None),
        ("not a dict", None),
        ({}, None),
    ],
)
def test_the_user_id_is_read_from_every_payload_shape(body, expected):
    assert user_id_of(body) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=20),
        lambda c: st.dictionaries(st.text(max_size=8), c, max_size=4) | st.lists(c, max_size=3),
        max_leaves=10,
    )
)
def test_reading_the_user_never_raises(body):
    found = user_id_of(body)
    assert found is None or (isinstance(found, str) and found.isalnum())


def test_an_empty_list_lets_everyone_in_without_asking_slack():
    users = FakeDirectory({})
    policy = AccessPolicy(frozenset(), frozenset(), users)
    assert policy.is_allowed("U0ANYONE") is True and policy.is_allowed(None) is True
    assert users.asked == []


def test_ids_decide_without_users_info_when_the_list_has_no_email():
    users = FakeDirectory({})
    policy = AccessPolicy(frozenset({"U0PRIYA"}), frozenset(), users)
    assert policy.is_allowed("u0priya") is True
    assert policy.is_allowed("U0OTHER") is False
    assert policy.is_allowed(None) is False
    assert users.asked == []


def test_an_email_entry_asks_slack_only_for_users_not_listed_by_id():
    users = FakeDirectory(
        {"U0PRIYA": SlackUser("U0PRIYA", email="Priya@Acme.in"), "U0OTHER": SlackUser("U0OTHER", email="o@x.in")}
    )
    policy = AccessPolicy(frozenset({"U0BOSS", "priya@acme.in"}), frozenset(), users)
    assert policy.is_allowed("U0BOSS") is True
    assert users.asked == []
    assert policy.is_allowed("U0PRIYA") is True
    assert policy.is_allowed("U0OTHER") is False


def test_no_answer_from_slack_is_not_a_yes():
    users = FakeDirectory({"U0SLOW": None})
    policy = AccessPolicy(frozenset({"priya@acme.in"}), frozenset(), users)
    assert policy.is_allowed("U0SLOW") is None  # "try again", never let in unchecked


def test_admins_by_id_or_email():
    policy = AccessPolicy(frozenset(), frozenset({"U0ADMIN", "boss@acme.in"}), FakeDirectory({}))
    assert policy.is_admin(SlackUser("u0admin"))
    assert policy.is_admin(SlackUser("U0X", email="Boss@acme.in"))
    assert not policy.is_admin(SlackUser("U0PRIYA", email="priya@acme.in"))


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN", True),
        ("https://hooks.slack.com/actions/T1/123/abc", True),
        ("https://hooks.slack-gov.com/commands/T1/123/abc", True),
        ("http://hooks.slack.com/commands/T1/1/a", False),  # not https
        ("https://hooks.slack.com.evil.example/commands/T1/1/a", False),
        ("https://evil.example/hooks.slack.com/commands", False),
        ("https://user:pw@hooks.slack.com/commands/T1/1/a", False),
        ("https://hooks.slack.com:8443/commands/T1/1/a", False),
        ("https://hooks.slack.com/commands/T1/1/a b", False),
        ("https://hooks.slack.com/" + "x" * 600, False),
        ("javascript:alert(1)", False),
        ("", False),
        (None, False),
        (["https://hooks.slack.com/commands/T1/1/a"], False),
    ],
)
def test_a_response_url_is_used_only_on_slacks_hosts(url, ok):
    assert shapes.response_url(url) == (url if ok else None)


def test_the_configured_api_host_is_trusted_for_response_urls():
    shapes.trust_slack_api_url("http://127.0.0.1:9/api/")
    assert shapes.response_url("http://127.0.0.1:9/response/abc") == "http://127.0.0.1:9/response/abc"
    assert shapes.response_url("http://127.0.0.1:10/response/abc") is None


@pytest.mark.parametrize(
    "value, ok",
    [("C0123CHAN", True), ("G0PRIVATE", True), ("D0DIRECT", True), ("c0123chan", False), ("U0PRIYA", False),
     ("C0123 CHAN", False), ("C", False), ("C" + "1" * 40, False), (123, False), (None, False)],
)  # fmt: skip
def test_channel_ids_by_shape(value, ok):
    assert shapes.channel_id(value) == (value if ok else None)


@pytest.mark.parametrize(
    "value, ok",
    [("Asia/Kolkata", True), ("America/Argentina/Buenos_Aires", True), ("UTC", True), ("Etc/GMT+5", True),
     ("Mars/Olympus", False), ("../../etc/passwd", False), ("/etc/localtime", False), ("Asia/Kolkata\n", False),
     ("A" * 1_000_000, False), ("", False), (None, False), (5.5, False)],
)  # fmt: skip
def test_time_zones_must_be_real_iana_names_of_sane_length(value, ok):
    assert shapes.sane_tz(value) == (value if ok else None)


@pytest.mark.parametrize(
    "value, ok",
    [("en-US", True), ("en-IN", True), ("pt-BR", True), ("ja-JP", True), ("es-LA", True),
     ("en_US<script>", False), ("x" * 100, False), ("", False), (7, False)],
)  # fmt: skip
def test_locales_by_shape(value, ok):
    assert shapes.sane_locale(value) == (value if ok else None)
