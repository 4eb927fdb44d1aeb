"""Failed accepts, logged once a minute: a server out of descriptors must not flood its log.

When `accept` fails with EMFILE (or ENFILE, ENOBUFS, ENOMEM), asyncio stops
listening for a second and reports it to the loop's exception handler, which
by default logs a traceback each time: 261,000 lines in one attack. This
handler counts them instead and logs one line per interval; everything else
goes to the default handler. server/doorway.py keeps connections below the
limit, so this is the last line of defence, not the first.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("server.accepts")

ACCEPT_FAILED = "socket.accept() out of system resource"
"""The message asyncio's selector loop reports a failed accept with."""

INTERVAL = 60.0


class AcceptFailures:
    """The loop's exception handler: failed accepts counted and logged once per INTERVAL."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._logged_at: float | None = None
        self._unlogged = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_FAILED:
            loop.default_exception_handler(context)
            return
        self._unlogged += 1
        now = self._clock()
        if self._logged_at is not None and now - self._logged_at < INTERVAL:
            return
        error = context.get("exception")
        why = error.strerror if isinstance(error, OSError) and error.strerror else "no resources"
        log.error(
            "cannot accept connections (%s), %d time(s) since the last report; "
            "raise the limit on open files (LimitNOFILE) or lower max_connections",
            why,
            self._unlogged,
        )
        self._logged_at = now
        self._unlogged = 0
