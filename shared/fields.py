"""The field rules of the contract: sealed bytes within their limits, and the rules of text.

On the wire (fireside.2) the server sees only bytes: `pake.msg`, `verify.mac`,
the sealed boxes of `hello`, `ask`, `say`, `reflect` and `note`, and the small
boxes of the moves. The text rules below still hold for what is inside a box:
the sender checks them before sealing and the receiver after opening
(docs/protocol.md, Field rules, Inside a box).
"""

import re

from shared.errors import ErrorCode, Rejected

NAME_MAX = 32
ASK_MAX = 1000
SAY_MAX = 4000
REFLECT_MAX = 2000
NOTE_MAX = 2000
"""A closing note, written for the partner at the end (docs/protocol.md, Closing notes)."""
CARD_MAX = 64

# docs/protocol.md, Field rules: C0 controls but tab and newline, DEL and C1,
# and the bidirectional overrides and isolates.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FORBIDDEN_IN_NAME = re.compile("[\t\n]")


def text_problem(value: str, limit: int) -> str | None:
    """Why `value` breaks the text rules, or None if it keeps them."""
    if not value:
        return "must not be empty"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    if _FORBIDDEN.search(value):
        return "holds a control or bidirectional-override character"
    return None


def displayable(value: str) -> str:
    """`value` with every character the text rules forbid replaced by U+FFFD.

    For text read from a server: one that breaks the rules must still not
    reach a terminal with an escape sequence, a control or an override.
    """
    return _FORBIDDEN.sub("\ufffd", value)


def name_problem(value: str) -> str | None:
    """Why `value` is not a valid name, or None."""
    problem = text_problem(value, NAME_MAX)
    if problem is None and _FORBIDDEN_IN_NAME.search(value):
        problem = "must be one line without tabs"
    return problem


def check_text(field: str, value: object, limit: int) -> str:
    """`value` as text within `limit` code points, or `bad_field` naming `field`."""
    if not isinstance(value, str):
        raise Rejected(ErrorCode.BAD_FIELD, f"{field} must be a string")
    problem = text_problem(value, limit)
    if problem is not None:
        raise Rejected(ErrorCode.BAD_FIELD, f"{field} {problem}")
    return value


EPOCH_MAX = 2**31 - 1
"""A room's epoch is drawn from 1 to this (docs/protocol.md, Field rules): it fits a signed
32-bit integer in any language, and a `resume` naming one outside is `bad_field`."""

MAX_OPAQUE = 256
"""Room codes and tokens are short; a longer one cannot match and is refused as a field."""

PAKE_MSG_MAX = 256
"""docs/protocol.md, Pairing, The steps: `pake.msg` is 1 to 256 bytes (a SPAKE2 message is 33)."""
VERIFY_MAC_LEN = 32
"""docs/protocol.md, Pairing, The steps: `verify.mac` is exactly 32 bytes (HKDF-SHA256)."""

# docs/protocol.md, Field rules, On the wire: the box sizes the server checks, in bytes: 4
# bytes per code point of the largest plaintext, plus the nonce, the tag and the MessagePack
# map around it.
HELLO_BOX_MAX = 256
ASK_BOX_MAX = 4_400
SAY_BOX_MAX = 16_400
REFLECT_BOX_MAX = 8_400
NOTE_BOX_MAX = 8_400
MOVE_BOX_MAX = 256
"""The box of `handover`, `done`, `decline`, `confirm`, `more`, `nod` and `leave`: `{}`
or a nod's kind, 29 to 40 bytes sealed."""


def check_bytes(field: str, value: object, low: int, high: int) -> bytes:
    """`value` as MessagePack binary of `low` to `high` bytes, or `bad_field` naming `field`.

    A string is not binary: a fireside.1 client's text where a box belongs is
    refused here, not stored as if it were sealed.
    """
    if not isinstance(value, bytes):
        raise Rejected(ErrorCode.BAD_FIELD, f"{field} must be binary")
    if low == high and len(value) != low:
        raise Rejected(ErrorCode.BAD_FIELD, f"{field} must be exactly {low} bytes")
    if not low <= len(value) <= high:
        raise Rejected(ErrorCode.BAD_FIELD, f"{field} must be {low} to {high} bytes")
    return value
