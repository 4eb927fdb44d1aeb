"""Sealed boxes: what a seat says, readable by the two seats of the room and nobody else.

docs/protocol.md, Sealing, A box: `box = nonce || ChaCha20Poly1305(seal key of
the sender)`, with the room, the seat, the type and the sender's count of boxes
as associated data, so a box cannot be changed, replayed, reordered, dropped,
relabelled, moved to the other seat or to another room without failing to open.
Every move a seat makes after the pairing carries one, its words or an empty
map, so a move without a box is the server's forgery.
"""

import secrets
from collections.abc import Callable, Mapping
from typing import Any

import msgpack
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from shared import fields
from shared.crypto.pairing import RoomKey, nameplate_key
from shared.messages import MessageType
from shared.seats import NodKind, Seat
from shared.vocabulary import SEALED_TYPES
from shared.wire import PROTOCOL

NONCE_BYTES = 12
"""A random nonce per box: a resent or re-typed message never reuses one."""

TAG_BYTES = 16
"""The Poly1305 tag after the ciphertext."""

_PROTOCOL = PROTOCOL

FieldRule = Callable[[str], str | None]
"""Why a field's text breaks the rules, or None."""


def _within(limit: int) -> FieldRule:
    return lambda value: fields.text_problem(value, limit)


def _nod_kind(value: str) -> str | None:
    return None if value in {kind.value for kind in NodKind} else "must be heart, hear or time"


# docs/protocol.md, Sealing, A box: each type's plaintext map, field -> (rule, required).
_PLAINTEXTS: dict[MessageType, dict[str, tuple[FieldRule, bool]]] = {
    MessageType.HELLO: {"name": (fields.name_problem, True)},
    MessageType.ASK: {
        "text": (_within(fields.ASK_MAX), True),
        "card": (_within(fields.CARD_MAX), False),
    },
    MessageType.SAY: {"text": (_within(fields.SAY_MAX), True)},
    MessageType.REFLECT: {"text": (_within(fields.REFLECT_MAX), True)},
    MessageType.NOTE: {"text": (_within(fields.NOTE_MAX), True)},
    MessageType.HANDOVER: {},
    MessageType.DONE: {},
    MessageType.DECLINE: {},
    MessageType.CONFIRM: {},
    MessageType.MORE: {},
    MessageType.NOD: {"kind": (_nod_kind, True)},
    MessageType.LEAVE: {},
    MessageType.PROPOSE: {
        "text": (_within(fields.ASK_MAX), True),
        "card": (_within(fields.CARD_MAX), False),
    },
    MessageType.ANSWER: {"text": (_within(fields.SAY_MAX), True)},
}

assert frozenset(_PLAINTEXTS) == SEALED_TYPES, "a plaintext shape for every sealed type"


class Tampered(Exception):
    """A box that must not be shown, and the session stops.

    `str()` says which box and why, for logs and tests; it never holds any
    of the box's plaintext, and no exception chained to it does either.
    """


class Sealer:
    """Seals the boxes of one's own seat, counting them for the associated data."""

    def __init__(self, key: RoomKey, seat: Seat, sealed: int = 0) -> None:
        self._room = nameplate_key(key.nameplate)
        self._seat = seat
        self._cipher = ChaCha20Poly1305(key.sealing_key(seat))
        self._sealed = sealed

    def seal(self, kind: MessageType, contents: Mapping[str, str]) -> bytes:
        """The box for `contents`; ValueError naming the rule they break, and nothing sealed."""
        problem = _counter_problem(kind, self._sealed) or _plaintext_problem(kind, contents)
        if problem is not None:
            raise ValueError(problem)
        nonce = secrets.token_bytes(NONCE_BYTES)
        plaintext = msgpack.packb(dict(contents))
        sealed = self._cipher.encrypt(
            nonce, plaintext, _associated(self._room, self._seat, kind, self._sealed)
        )
        self._sealed += 1
        return nonce + sealed


class Opener:
    """Opens the boxes of the log in `seq` order, the own seat's and the partner's.

    Each seat's boxes must come with the next counter of that seat. After one
    box is Tampered every later one is too: the session has stopped.
    """

    def __init__(self, key: RoomKey) -> None:
        self._room = nameplate_key(key.nameplate)
        self._ciphers = {seat: ChaCha20Poly1305(key.sealing_key(seat)) for seat in Seat}
        self._opened = dict.fromkeys(Seat, 0)
        self._withheld: dict[Seat, int] = {}
        self._stopped: str | None = None

    def opened(self, seat: Seat) -> int:
        """How many of that seat's boxes opened (or were withheld) so far: its next counter."""
        return self._opened[seat]

    def open(self, seat: Seat, kind: MessageType, box: bytes) -> dict[str, str]:
        """The fields of that seat's next box, or Tampered."""
        counter = self._opened[seat]
        contents = self._checked(seat, kind, counter, box)
        self._opened[seat] = counter + 1
        return contents

    def withhold(self, seat: Seat) -> None:
        """That seat's next box is an `answer` the server keeps until both are in (docs/
        protocol.md, Letters): its counter is taken now, where the `answer` is in the log, and
        `release` opens the box with it once a `reveal` brings it."""
        if seat in self._withheld:
            raise Tampered(f"a second answer of seat {seat} before the first was revealed")
        self._withheld[seat] = self._opened[seat]
        self._opened[seat] += 1

    def release(self, seat: Seat, box: bytes) -> dict[str, str]:
        """The fields of that seat's withheld `answer`, brought by a `reveal`, or Tampered."""
        counter = self._withheld.pop(seat, None)
        if counter is None:
            raise Tampered(f"a reveal of seat {seat} with no answer withheld")
        return self._checked(seat, MessageType.ANSWER, counter, box)

    def _checked(self, seat: Seat, kind: MessageType, counter: int, box: bytes) -> dict[str, str]:
        if self._stopped is not None:
            raise Tampered(f"an earlier box was tampered ({self._stopped})")
        try:
            return self._unsealed(seat, kind, counter, box)
        except Tampered as tampered:
            self._stopped = str(tampered)
            raise

    def _unsealed(self, seat: Seat, kind: MessageType, counter: int, box: bytes) -> dict[str, str]:
        where = f"box {counter} of seat {seat} as {kind}"
        problem = _counter_problem(kind, counter)
        if problem is not None:
            raise Tampered(f"{where}: {problem}")
        if len(box) < NONCE_BYTES + TAG_BYTES:
            raise Tampered(f"{where} is too short to be a box")
        plaintext = _decrypted(
            self._ciphers[seat], box, _associated(self._room, seat, kind, counter)
        )
        if plaintext is None:
            raise Tampered(
                f"{where} does not open: changed, replayed, reordered, dropped, relabelled, "
                "from the other seat or from another room"
            )
        contents = _unpacked(plaintext)
        if contents is None:
            raise Tampered(f"{where} does not hold a MessagePack map")
        problem = _plaintext_problem(kind, contents)
        if problem is not None:
            raise Tampered(f"{where} breaks the field rules: {problem}")
        return contents


def _associated(room: bytes, seat: Seat, kind: MessageType, counter: int) -> bytes:
    """docs/protocol.md, Sealing, A box: `["fireside.2", nameplate_key, seat, type, counter]`."""
    return msgpack.packb([_PROTOCOL, room, str(seat), str(kind), counter])


def _counter_problem(kind: MessageType, counter: int) -> str | None:
    """Why `kind` cannot be a seat's box number `counter`: `hello` is 0, the rest follow it."""
    if kind not in SEALED_TYPES:
        raise ValueError(f"{kind} is not a sealed type")
    if (kind == MessageType.HELLO) != (counter == 0):
        return "hello is a seat's first box, and only that"
    return None


def _decrypted(cipher: ChaCha20Poly1305, box: bytes, associated: bytes) -> bytes | None:
    try:
        return cipher.decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], associated)
    except InvalidTag:
        return None


def _unpacked(plaintext: bytes) -> dict[str, Any] | None:
    """The map in `plaintext`, or None; no exception escapes that could carry the plaintext."""
    try:
        value = msgpack.unpackb(plaintext, raw=False, strict_map_key=True)
    except (ValueError, TypeError, msgpack.UnpackException):
        # ExtraData keeps the bytes it read; returning None drops it with its traceback.
        return None
    return value if isinstance(value, dict) else None


def _plaintext_problem(kind: MessageType, contents: Mapping[str, object]) -> str | None:
    """Why `contents` is not a `kind` plaintext, naming fields and rules but never a value."""
    shape = _PLAINTEXTS[kind]
    required = {name for name, (_, needed) in shape.items() if needed}
    if not all(isinstance(name, str) for name in contents) or not (
        required <= contents.keys() <= shape.keys()
    ):
        optional = sorted(shape.keys() - required)
        may = f", and may hold {' and '.join(optional)}" if optional else ""
        if not shape:
            return f"{kind} holds an empty map"
        return f"{kind} holds {' and '.join(sorted(required))}{may}, and nothing else"
    for name, value in contents.items():
        if not isinstance(value, str):
            return f"{kind} {name} must be text"
        problem = shape[name][0](value)
        if problem is not None:
            return f"{kind} {name} {problem}"
    return None
