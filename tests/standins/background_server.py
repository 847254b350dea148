"""Serving a stand-in on 127.0.0.1 from a daemon thread: the part both stand-ins share."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class BackgroundServer:
    """Owns one HTTP server on a free loopback port and the thread that serves it."""

    def __init__(self, server: ThreadingHTTPServer, name: str):
        self.server = server
        self.port: int = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
