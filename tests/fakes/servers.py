"""WSGI apps served on loopback in a background thread, for the length of a test."""

from __future__ import annotations

import threading
from typing import Any

import waitress


class ServedApp:
    def __init__(self, app: Any, threads: int = 8) -> None:
        self.server: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.close()
        self.server.task_dispatcher.shutdown()
        self._thread.join(timeout=5)
