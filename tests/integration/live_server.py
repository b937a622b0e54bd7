"""A real uvicorn serving the app from a thread of the test process (its own event loop, its own pool),
on the session's engines: for tests that need requests truly in flight at once. Litestar's
AsyncTestClient runs each request to completion before the next (its async transport calls the sync
one), so `asyncio.gather` over it is sequential."""

from __future__ import annotations

import threading
import time

import uvicorn

from inspect_api.app import create_app
from inspect_api.settings import Settings
from inspect_api.storage.embedded import free_port


class ThreadedServer:
    def __init__(self, settings: Settings, *, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on", server_header=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
