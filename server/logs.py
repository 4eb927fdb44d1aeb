"""The server's log on stderr: one line per event, as text or as JSON, and never what anyone wrote.

Structured fields travel in `extra=`: `room` (a room's random label, never its code),
`connection` (a connection's number on this server) and `code` (a close code).
"""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

LOG_FORMATS = ("text", "json")

FIELDS = ("room", "connection", "code")
"""The `extra=` keys a JSON line carries beside time, level, logger and message."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: str, log_format: str) -> None:
    """Send every log line to stderr in `log_format` (`text` or `json`) from `level` up."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # websockets logs frame contents at debug level: people's words must never reach a log.
    logging.getLogger("websockets").setLevel(logging.WARNING)
