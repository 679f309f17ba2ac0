"""What the local fakes share: an HTTP server on 127.0.0.1 in a daemon thread, whose handler
class reaches the fake through its `fake` attribute."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, Self


class BackgroundServer:
    """start() binds `port_wanted` (0: an ephemeral port) and serves; stop() releases it."""

    handler: ClassVar[type[BaseHTTPRequestHandler]]
    thread_name: ClassVar[str]
    port_wanted: int = 0
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> Self:
        handler = type("Handler", (self.handler,), {"fake": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", self.port_wanted), handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False  # a hanging handler must not block stop()
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, name=self.thread_name, kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]
