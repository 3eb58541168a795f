"""A WSGI app served by waitress on loopback in a background thread, stoppable cleanly."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, cast

from waitress import wasyncore
from waitress.server import TcpWSGIServer, create_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


class BackgroundServer:
    def __init__(
        self, app: WSGIApplication, *, host: str = "127.0.0.1", port: int = 0, threads: int = 8
    ) -> None:
        server = create_server(app, host=host, port=port, threads=threads)
        assert isinstance(server, TcpWSGIServer)  # one host and port: never a multi-socket server
        self.server: Any = cast(Any, server)  # waitress's stubs lack effective_port and _map
        self.port: int = self.server.effective_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self.server.run, name=f"http-{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        # Close the sockets from the server's own loop thread, so its select() never sees them go.
        try:
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        except OSError:  # the loop has already ended (its trigger is closed): close from here
            wasyncore.close_all(self.server._map)
        self._thread.join(timeout=5)
        self.server.task_dispatcher.shutdown()
