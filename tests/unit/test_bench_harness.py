"""Bench helpers: requests sent as Slack would (signed, in one write); 429s reported with their window."""

from __future__ import annotations

import socket
import threading

import pytest
from slack_sdk.signature import SignatureVerifier

from bench import harness, run


def _one_request_server(answer: bytes):
    """A server on 127.0.0.1 that reads one request with a single recv() and answers ``answer``."""
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve():
        conn, _ = listener.accept()
        with conn:
            received.append(conn.recv(1 << 20))  # one write on loopback arrives in one read
            conn.sendall(answer)
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/slack/events", received, thread


def test_a_request_is_signed_and_sent_whole_in_one_write():
    body = "payload=" + "x" * 5000
    url, received, thread = _one_request_server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    answer = harness.post_as_slack(url, body)
    thread.join(5)
    head, _, sent_body = received[0].partition(b"\r\n\r\n")
    assert sent_body.decode() == body  # all of it came with the head
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
    assert head.startswith(b"POST /slack/events HTTP/1.1\r\n")
    assert headers["Content-Length"] == str(len(body))
    assert SignatureVerifier(harness.SIGNING_SECRET).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert (answer.status_code, answer.text) == (200, "")


def test_a_chunked_answer_is_read_whole():
    answer_bytes = (
        b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"5\r\nRequ\xc3\r\n7\r\n\xa9st bad\r\n0\r\n\r\n"
    )
    url, _, thread = _one_request_server(answer_bytes)
    answer = harness.post_as_slack(url, "a=b")
    thread.join(5)
    assert (answer.status_code, answer.text) == (400, "Requést bad")


def test_a_server_that_is_not_there_is_a_failed_send_not_a_crash():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    timed = harness._timed(lambda: harness.post_as_slack(f"http://127.0.0.1:{port}/slack/events", "a=b"))
    assert timed.status is None and timed.body == "ConnectionRefusedError"


def test_a_refused_call_is_reported_with_the_calls_counted_in_the_window_before_it():
    from bench.run import rejection_notes
    from tests.standins.leadsquared import RecordedCall

    def call(path, status, arrived, answered):
        return RecordedCall("GET", path, {}, None, {}, True, False, status, 100.0 + arrived, None, answered - arrived)

    calls = [
        call("/v2/X/First", 200, 0.0, 0.4),  # counted more than 5 s before the refusal
        call("/v2/X/Second", 200, 0.9, 1.0),
        call("/v2/X/Third", 200, 1.5, 2.0),
        call("/v2/X/Refused", 429, 5.4, 5.5),
    ]
    (note,) = rejection_notes(calls)
    assert note.startswith("429 on Refused at 5.50 s; 2 calls answered in the 5 s before it")
    assert note.endswith("0.90→1.00, 1.50→2.00")


def test_the_memory_section_takes_a_count_of_bursts_and_refuses_one_below_1():
    _, sizes = run.parse_arguments(["--only", "memory", "--bursts", "20"])
    assert sizes.bursts == 20
    assert sizes.burst_size == 200  # the full run's burst: only the count changes
    _, quick = run.parse_arguments(["--quick", "--bursts", "4"])
    assert (quick.bursts, quick.burst_size) == (4, 10)
    for bad in ("0", "-3", "ten"):
        with pytest.raises(SystemExit):  # argparse's one-line usage error
            run.parse_arguments(["--bursts", bad])
