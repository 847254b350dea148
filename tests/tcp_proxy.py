"""A TCP proxy on 127.0.0.1 that can go silent: a network path that swallows packets.

blackhole(): bytes in either direction are read and dropped, and new connections are
accepted but never reach the server; nobody gets an error (the worst kind of outage: only
a client-side deadline notices it). heal(): new connections work again. connect_delay: each
new connection reaches the server that much later (a busy server slow to take it).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1", *, connect_delay: float = 0.0):
        self.target = (target_host, target_port)
        self.connect_delay = connect_delay
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._silent = threading.Event()
        self._closed = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.accepted = 0  # connections opened through the proxy so far
        threading.Thread(target=self._accept_loop, daemon=True, name="proxy-accept").start()

    def blackhole(self) -> None:
        self._silent.set()

    def heal(self) -> None:
        self._silent.clear()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.add(sock)
        return sock

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            threading.Thread(target=self._serve, args=(self._track(client),), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        if self._silent.is_set():
            self._pump(client, None)  # never reaches the server
            return
        if self.connect_delay:
            time.sleep(self.connect_delay)
        try:
            upstream = self._track(socket.create_connection(self.target, timeout=5))
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, source: socket.socket, sink: socket.socket | None) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if sink is not None and not self._silent.is_set():
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
