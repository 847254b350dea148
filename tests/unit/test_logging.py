"""configure_logging + SecretRedactingFilter: no configured secret reaches a log line, whoever logs it."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logging_setup import REDACTED, SecretRedactingFilter, configure_logging

BOT_TOKEN = "xoxb-1111-2222-SeCrEtBoTtOkEn"
SIGNING_SECRET = "8f1d2c3b4a5e6f7a8b9c0d1e2f3a4b5c"
ACCESS_KEY = "u$r1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6"
SECRET_KEY = "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, ACCESS_KEY, SECRET_KEY)


@pytest.fixture
def captured():
    """configure_logging(DEBUG, SECRETS) with an extra StringIO handler on root; restores root after."""
    root = logging.getLogger()
    saved_level = root.level
    saved_handlers = list(root.handlers)
    saved_filters = {handler: list(handler.filters) for handler in saved_handlers}
    saved_logger_levels = {name: logging.getLogger(name).level for name in ("slack_sdk", "urllib3", "bot.test")}

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    for name in saved_logger_levels:
        logging.getLogger(name).setLevel(logging.NOTSET)
    configure_logging("DEBUG", SECRETS)
    try:
        yield stream
    finally:
        for extra in [h for h in root.handlers if h not in saved_handlers]:
            root.removeHandler(extra)
            if getattr(extra, "_logsale", False):
                extra.close()
        for saved, filters in saved_filters.items():
            saved.filters[:] = filters
        root.setLevel(saved_level)
        for name, level in saved_logger_levels.items():
            logging.getLogger(name).setLevel(level)


def assert_clean(output: str) -> None:
    for secret in SECRETS:
        assert secret not in output
    assert REDACTED in output


def test_configure_sets_the_level_and_filters_every_root_handler(captured):
    root = logging.getLogger()
    assert root.level == logging.DEBUG
    assert sum(getattr(h, "_logsale", False) for h in root.handlers) == 1
    for handler in root.handlers:
        assert sum(isinstance(f, SecretRedactingFilter) for f in handler.filters) == 1


def test_configuring_twice_adds_no_second_handler_or_filter(captured):
    configure_logging("DEBUG", SECRETS)
    root = logging.getLogger()
    assert sum(getattr(h, "_logsale", False) for h in root.handlers) == 1
    for handler in root.handlers:
        assert sum(isinstance(f, SecretRedactingFilter) for f in handler.filters) == 1
    logging.getLogger("slack_sdk").debug("token %s", BOT_TOKEN)
    assert_clean(captured.getvalue())


@pytest.mark.parametrize("logger_name", ["slack_sdk", "slack_sdk.web.base_client", "urllib3", "bot.test", "root"])
def test_a_secret_in_the_message_is_redacted(captured, logger_name):
    logging.getLogger(logger_name).debug(f"Sending a request - headers: {{'Authorization': 'Bearer {BOT_TOKEN}'}}")
    output = captured.getvalue()
    assert_clean(output)
    assert "Authorization" in output and "Bearer [redacted]" in output


@pytest.mark.parametrize("logger_name", ["slack_sdk", "urllib3"])
def test_a_secret_in_the_args_is_redacted(captured, logger_name):
    log = logging.getLogger(logger_name)
    log.debug("x-LSQ-AccessKey: %s, x-LSQ-SecretKey: %s", ACCESS_KEY, SECRET_KEY)
    log.debug("headers: %(headers)s", {"headers": {"Authorization": f"Bearer {BOT_TOKEN}"}})
    log.debug("signing with %r", SIGNING_SECRET.encode())
    output = captured.getvalue()
    assert_clean(output)
    assert output.count(REDACTED) == 4
    assert "x-LSQ-AccessKey: [redacted], x-LSQ-SecretKey: [redacted]" in output


def test_a_secret_in_an_exception_traceback_is_redacted(captured):
    def call_leadsquared():
        raise ValueError(f"401 for key {ACCESS_KEY} and {SECRET_KEY}")

    try:
        call_leadsquared()
    except ValueError:
        logging.getLogger("urllib3").debug("request failed", exc_info=True)
        logging.getLogger("bot.test").exception("LeadSquared call failed")
    output = captured.getvalue()
    assert_clean(output)
    assert "Traceback (most recent call last)" in output
    assert "ValueError: 401 for key [redacted] and [redacted]" in output


def test_a_chained_exception_is_redacted_too(captured):
    try:
        try:
            raise KeyError(BOT_TOKEN)
        except KeyError as inner:
            raise RuntimeError(f"wrapped {SIGNING_SECRET}") from inner
    except RuntimeError:
        logging.getLogger("slack_sdk").debug("boom", exc_info=True)
    assert_clean(captured.getvalue())


def test_a_malformed_log_call_neither_raises_nor_leaks(captured, capsys):
    log = logging.getLogger("slack_sdk")
    log.debug("token %s then %s", BOT_TOKEN)  # one arg short: must not raise into the caller
    log.debug("key %d", SECRET_KEY)  # wrong type
    output = captured.getvalue() + capsys.readouterr().err
    for secret in SECRETS:
        assert secret not in output
    assert output.count(REDACTED) >= 2


def test_a_secret_containing_another_is_masked_whole(captured):
    short = "abcd1234"
    long = "abcd1234-and-more"
    configure_logging("DEBUG", (short, long))
    logging.getLogger("urllib3").debug("%s / %s", long, short)
    output = captured.getvalue()
    assert "[redacted] / [redacted]" in output
    assert "-and-more" not in output


def test_messages_without_secrets_are_untouched(captured):
    logging.getLogger("bot.test").info("sale %s posted for %s", 42, "priya@acme.in")
    assert captured.getvalue() == "INFO bot.test: sale 42 posted for priya@acme.in\n"


def test_the_logsale_handler_output_is_redacted_too(captured):
    root = logging.getLogger()
    ours = next(h for h in root.handlers if getattr(h, "_logsale", False))
    stream = io.StringIO()
    ours.setStream(stream)
    logging.getLogger("slack_sdk").debug("Bearer %s", BOT_TOKEN)
    assert_clean(stream.getvalue())


# --- the filter on its own -------------------------------------------------------------------


def test_filter_ignores_very_short_and_empty_secrets():
    redactor = SecretRedactingFilter(("", "abc", "abcd"))
    assert redactor.redact("abc abcd") == "abc [redacted]"


def test_filter_with_no_secrets_passes_records_through():
    redactor = SecretRedactingFilter(())
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "hello %s", ("world",), None)
    assert redactor.filter(record) is True
    assert record.getMessage() == "hello world"


def test_filter_rewrites_the_record_itself():
    redactor = SecretRedactingFilter(SECRETS)
    record = logging.LogRecord("slack_sdk", logging.DEBUG, __file__, 1, "token=%s", (BOT_TOKEN,), None)
    assert redactor.filter(record) is True
    assert record.getMessage() == "token=[redacted]"
    assert record.args is None


# --- one record, one safe line ------------------------------------------------------------------


def test_control_characters_are_escaped_so_a_value_cannot_forge_a_log_line(captured):
    logging.getLogger("bot.test").warning("Unknown time zone %s", "X\nINFO bot: sale 7 posted\x1b[2J\u2028")
    output = captured.getvalue()
    assert output.count("\n") == 1  # one record, one line
    assert "X\\x0aINFO bot: sale 7 posted\\x1b[2J\\u2028" in output


def test_a_huge_value_is_cut_and_says_so(captured):
    logging.getLogger("bot.test").warning("Unknown time zone %s, falling back to UTC", "A" * 1_000_000)
    [line] = captured.getvalue().splitlines()
    assert len(line) < 5000
    assert "characters in all" in line


def test_a_secret_at_the_cut_is_still_masked(captured):
    text = "x" * (3990) + BOT_TOKEN
    logging.getLogger("bot.test").warning("%s", text)
    output = captured.getvalue()
    assert BOT_TOKEN[:10] not in output  # redacted whole before the cut, never half-shown


def test_a_traceback_keeps_its_lines_but_not_foreign_control_characters(captured):
    try:
        raise ValueError("bad\x1b[31m value" + "y" * 50_000)
    except ValueError:
        logging.getLogger("bot.test").exception("failed")
    output = captured.getvalue()
    assert "Traceback (most recent call last):\n" in output
    assert "\x1b" not in output and "\\x1b[31m" in output
    assert len(output) < 25_000
