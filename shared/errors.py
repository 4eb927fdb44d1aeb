"""Error codes of the wire contract and the exception that carries one."""

from enum import StrEnum


class ErrorCode(StrEnum):
    """docs/protocol.md, Error codes."""

    BAD_FRAME = "bad_frame"
    UNKNOWN_TYPE = "unknown_type"
    BAD_FIELD = "bad_field"
    NOT_IN_ROOM = "not_in_room"
    IN_ROOM = "in_room"
    NO_ROOM = "no_room"
    ROOM_FULL = "room_full"
    BAD_TOKEN = "bad_token"
    LISTENING = "listening"
    WRONG_PHASE = "wrong_phase"
    RATE_LIMITED = "rate_limited"
    ENDED = "ended"


class Rejected(Exception):
    """A message the rules refuse; it changes nothing and is answered to its sender alone."""

    def __init__(self, code: ErrorCode, message: str, re: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.re = re

    def with_re(self, re: int | None) -> "Rejected":
        """The same rejection, answering the request numbered `re`."""
        return Rejected(self.code, self.message, re)
