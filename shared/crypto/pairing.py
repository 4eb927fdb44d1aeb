"""The pairing: SPAKE2 over the invite's words, and the keys derived from its shared secret.

docs/protocol.md, Sealing, Keys. The server relays the two `pake` messages and the
two `verify` macs; with a wrong guess of the words it learns nothing but
that the guess was wrong, and the room is burned.
"""

import base64
import binascii
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import spake2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spake2.ed25519_basic import NotOnCurve

from shared.codes import normalize_code
from shared.crypto.invite import WORD_COUNT, WORDS, InviteError, shown_nameplate
from shared.seats import Seat
from shared.wire import PROTOCOL

KEY_BYTES = 32
"""The shared secret K, and every key derived from it, is 32 bytes."""

MESSAGE_BYTES = 33
"""A symmetric SPAKE2 message: the side byte `S`, then an Ed25519 point."""

PHRASE_WORDS = 4
"""The verification phrase: 44 bits of the phrase key, as four words of 11 bits."""

_SIDE = b"S"
_PROTOCOL = PROTOCOL.encode()
_WORD_BITS = 11


class PairingError(ValueError):
    """The partner's `pake` message is not one a pairing can finish with."""


def nameplate_key(nameplate: str) -> bytes:
    """The nameplate as bound into the pairing and every box: `normalize_code`, UTF-8."""
    return normalize_code(shown_nameplate(nameplate)).encode()


class Pairing:
    """One side of the pairing; both seats run the same symmetric SPAKE2."""

    def __init__(self, nameplate: str, words: Sequence[str]) -> None:
        self._nameplate = shown_nameplate(nameplate)
        if len(words) < WORD_COUNT or any(word not in WORDS for word in words):
            # Both sides must hash the very same password: "Orbit" and "orbit" would
            # not pair, and the mismatch would burn the room. parse_invite lowers them.
            raise InviteError(f"A pairing needs at least {WORD_COUNT} words from the list.")
        password = "-".join(words).encode()
        self._spake: Any = spake2.SPAKE2_Symmetric(
            password, idSymmetric=_PROTOCOL + b"/" + nameplate_key(nameplate)
        )
        self.message: bytes = _start(self._spake)
        """The `pake.msg` to send."""
        self._finished = False

    def finish(self, partner_message: bytes) -> "RoomKey":
        """The room's key from the partner's `pake.msg`; PairingError if it is malformed.

        A wrong guess of the words is not malformed: it gives a key that does
        not verify, found out by comparing `verify` macs.
        """
        if self._finished:
            raise RuntimeError("a pairing finishes once")
        self._finished = True
        if len(partner_message) != MESSAGE_BYTES or partner_message[:1] != _SIDE:
            raise PairingError(f"a pairing message is {MESSAGE_BYTES} bytes starting with S")
        if partner_message == self.message:
            raise PairingError("the pairing message is our own, sent back")
        return RoomKey(nameplate=self._nameplate, secret=_finish(self._spake, partner_message))


@dataclass(frozen=True)
class RoomKey:
    """The room's shared secret K and the keys derived from it with HKDF-SHA256."""

    nameplate: str
    """As shown, XXXXX-XXXXX."""
    # K opens every box of the room: kept out of repr() so a logged key does not leak it.
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise ValueError(f"a room key is {KEY_BYTES} bytes")
        object.__setattr__(self, "nameplate", shown_nameplate(self.nameplate))

    def verifier(self, seat: Seat) -> bytes:
        """That seat's `verify.mac`: proof it holds K, which says nothing about K."""
        return self._derive(b"verify " + seat.value.encode())

    def verifies(self, seat: Seat, mac: bytes) -> bool:
        """Whether `mac` is that seat's verifier, compared in constant time."""
        return hmac.compare_digest(self.verifier(seat), mac)

    def sealing_key(self, seat: Seat) -> bytes:
        """The key that seat seals its boxes with (`shared.crypto.boxes`)."""
        return self._derive(b"seal " + seat.value.encode())

    def phrase(self) -> str:
        """Four words, the same on both sides, to compare over a phone call."""
        bits = PHRASE_WORDS * _WORD_BITS
        value = int.from_bytes(self._derive(b"phrase")[:6], "big") >> (48 - bits)
        indexes = [
            (value >> (_WORD_BITS * (PHRASE_WORDS - 1 - place))) & ((1 << _WORD_BITS) - 1)
            for place in range(PHRASE_WORDS)
        ]
        return " ".join(WORDS[index] for index in indexes)

    def saved(self) -> str:
        """K in base64, for the seat file (0600) so a restarted client can open the log."""
        return base64.b64encode(self.secret).decode("ascii")

    @classmethod
    def from_saved(cls, nameplate: str, saved: str) -> "RoomKey":
        """The key `saved()` wrote; ValueError if it is not base64 of 32 bytes."""
        try:
            secret = base64.b64decode(saved, validate=True)
        except binascii.Error:
            raise ValueError("a saved room key is base64") from None
        return cls(nameplate=nameplate, secret=secret)

    def _derive(self, purpose: bytes) -> bytes:
        # docs/protocol.md, Sealing, Keys: salt empty (None: RFC 5869 then uses zeros, the
        # same HMAC key as empty), length 32, info "fireside.2 <purpose>".
        hkdf = HKDF(
            algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_PROTOCOL + b" " + purpose
        )
        return hkdf.derive(self.secret)


def _start(spake: Any) -> bytes:
    """`start()` of the untyped spake2 package, typed."""
    message = spake.start()
    assert isinstance(message, bytes)
    return message


def _finish(spake: Any, partner_message: bytes) -> bytes:
    """`finish()` of the untyped spake2 package, typed; PairingError for a point off the group."""
    try:
        secret = spake.finish(partner_message)
    except (spake2.spake2.SPAKEError, NotOnCurve, ValueError):
        # Zero, a small-subgroup point or a string that is no point at all.
        raise PairingError("the pairing message is not a valid point") from None
    assert isinstance(secret, bytes)
    return secret
