"""The pairing: SPAKE2 over the words agrees on K only when both sides typed the same invite."""

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.crypto.invite import WORDS, InviteError, draw_words
from shared.crypto.pairing import Pairing, PairingError, RoomKey
from shared.seats import Seat

NAMEPLATE = "K7M2Q-X9P4R"
WORDS_OF_EXAMPLE = ("orbit", "velvet", "canyon")


def paired(
    words_a: tuple[str, ...], words_b: tuple[str, ...], nameplate_b: str = NAMEPLATE
) -> tuple[RoomKey, RoomKey]:
    """Seat a's and seat b's keys after they swap `pake` messages."""
    a, b = Pairing(NAMEPLATE, words_a), Pairing(nameplate_b, words_b)
    return a.finish(b.message), b.finish(a.message)


def hkdf(secret: bytes, info: bytes) -> bytes:
    """docs/protocol.md, Sealing, Keys: HKDF-SHA256, salt empty, 32 bytes."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"", info=info).derive(secret)


def test_the_same_words_agree_on_the_key_and_verifiers() -> None:
    """Both sides get the same 32-byte K, and each verifies the other's mac."""
    key_a, key_b = paired(WORDS_OF_EXAMPLE, WORDS_OF_EXAMPLE)
    assert key_a == key_b
    assert len(key_a.secret) == 32
    assert key_b.verifies(Seat.A, key_a.verifier(Seat.A))
    assert key_a.verifies(Seat.B, key_b.verifier(Seat.B))


def test_the_nameplate_may_be_typed_differently() -> None:
    """The nameplate is bound as `normalize_code` reads it: case, dashes and look-alikes agree."""
    key_a, key_b = paired(WORDS_OF_EXAMPLE, WORDS_OF_EXAMPLE, nameplate_b="k7m2qx9p4r")
    assert key_a == key_b
    assert key_b.nameplate == NAMEPLATE


def test_different_words_do_not_agree() -> None:
    """One word different: different keys, and neither side verifies the other's mac."""
    key_a, key_b = paired(WORDS_OF_EXAMPLE, ("orbit", "velvet", "cannon"))
    assert key_a.secret != key_b.secret
    assert not key_b.verifies(Seat.A, key_a.verifier(Seat.A))
    assert not key_a.verifies(Seat.B, key_b.verifier(Seat.B))


def test_the_same_words_in_another_room_do_not_agree() -> None:
    """The nameplate is in the pairing: the words of one room do not pair in another."""
    key_a, key_b = paired(WORDS_OF_EXAMPLE, WORDS_OF_EXAMPLE, nameplate_b="K7M2Q-X9P4S")
    assert key_a.secret != key_b.secret
    assert not key_b.verifies(Seat.A, key_a.verifier(Seat.A))


def test_pairings_are_fresh_each_time() -> None:
    """Each pairing sends a new 33-byte message and, with the same words, ends with a new K."""
    first, second = (
        paired(WORDS_OF_EXAMPLE, WORDS_OF_EXAMPLE)[0],
        paired(WORDS_OF_EXAMPLE, WORDS_OF_EXAMPLE)[0],
    )
    assert first.secret != second.secret
    messages = {Pairing(NAMEPLATE, WORDS_OF_EXAMPLE).message for _ in range(20)}
    assert len(messages) == 20
    assert all(len(message) == 33 and message[:1] == b"S" for message in messages)


def test_the_verifiers_are_hkdf_of_k_per_seat() -> None:
    """Verifiers and sealing keys are HKDF(K, "fireside.2 verify|seal a|b"), one per seat."""
    key = paired(WORDS_OF_EXAMPLE, WORDS_OF_EXAMPLE)[0]
    assert key.verifier(Seat.A) == hkdf(key.secret, b"fireside.2 verify a")
    assert key.verifier(Seat.B) == hkdf(key.secret, b"fireside.2 verify b")
    assert key.sealing_key(Seat.A) == hkdf(key.secret, b"fireside.2 seal a")
    assert key.sealing_key(Seat.B) == hkdf(key.secret, b"fireside.2 seal b")
    assert len({key.verifier(Seat.A), key.verifier(Seat.B), key.sealing_key(Seat.A)}) == 3
    assert not key.verifies(Seat.B, key.verifier(Seat.A))
    assert not key.verifies(Seat.A, key.verifier(Seat.A)[:31])


def test_the_phrase_is_the_same_on_both_sides_and_differs_between_keys() -> None:
    """Both seats see the same four listed words; another pairing sees other words."""
    key_a, key_b = paired(WORDS_OF_EXAMPLE, WORDS_OF_EXAMPLE)
    phrase = key_a.phrase()
    assert phrase == key_b.phrase()
    assert len(phrase.split()) == 4
    assert set(phrase.split()) <= set(WORDS)
    others = {paired(WORDS_OF_EXAMPLE, WORDS_OF_EXAMPLE)[0].phrase() for _ in range(5)}
    assert phrase not in others
    assert len(others) == 5


def test_the_phrase_is_the_first_44_bits_of_its_hkdf() -> None:
    """The phrase is HKDF(K, "fireside.2 phrase")'s first 44 bits as four 11-bit word indexes."""
    key = RoomKey(nameplate=NAMEPLATE, secret=bytes(range(32)))
    bits = int.from_bytes(hkdf(key.secret, b"fireside.2 phrase"), "big") >> (256 - 44)
    indexes = [(bits >> shift) & 0x7FF for shift in (33, 22, 11, 0)]
    assert key.phrase() == " ".join(WORDS[index] for index in indexes)


def test_a_saved_key_round_trips() -> None:
    """`from_saved(saved())` is the same key, and the saved form is base64 of K."""
    key = paired(WORDS_OF_EXAMPLE, WORDS_OF_EXAMPLE)[0]
    again = RoomKey.from_saved("k7m2q x9p4r", key.saved())
    assert again == key
    assert again.phrase() == key.phrase()


@pytest.mark.parametrize("saved", ["", "not base64!", "AAAA", "A" * 42 + "==", "A" * 48])
def test_a_damaged_saved_key_is_refused(saved: str) -> None:
    """Anything but base64 of exactly 32 bytes is not a room key."""
    with pytest.raises(ValueError, match="room key"):
        RoomKey.from_saved(NAMEPLATE, saved)


def test_the_secret_stays_out_of_repr() -> None:
    """A logged RoomKey shows its nameplate, not K."""
    key = RoomKey(nameplate=NAMEPLATE, secret=bytes(range(32)))
    assert repr(key) == "RoomKey(nameplate='K7M2Q-X9P4R')"


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b"S",
        b"S" + bytes(31),
        b"S" + bytes(33),
        b"A" + bytes(32),
        b"S" + bytes([1]) + bytes(31),
        b"S" + bytes(32),
        b"S" + b"\xff" * 32,
        b"S" + bytes([0xEC]) + b"\xff" * 30 + b"\x7f",
    ],
    ids=[
        "empty",
        "side-only",
        "short",
        "long",
        "asymmetric-side",
        "identity",
        "order-4-point",
        "not-on-curve",
        "order-2-point",
    ],
)
def test_a_malformed_partner_message_is_refused(message: bytes) -> None:
    """A wrong length or side, the identity, a small-subgroup point or no point: PairingError."""
    with pytest.raises(PairingError):
        Pairing(NAMEPLATE, WORDS_OF_EXAMPLE).finish(message)


def test_ones_own_message_sent_back_is_refused() -> None:
    """A server reflecting a seat's own `pake.msg` to it does not get a key agreed with itself."""
    pairing = Pairing(NAMEPLATE, WORDS_OF_EXAMPLE)
    with pytest.raises(PairingError):
        pairing.finish(pairing.message)


def test_a_pairing_finishes_once() -> None:
    """A second `finish` is a bug in the caller, not a second chance at the words."""
    a, b = Pairing(NAMEPLATE, WORDS_OF_EXAMPLE), Pairing(NAMEPLATE, WORDS_OF_EXAMPLE)
    a.finish(b.message)
    with pytest.raises(RuntimeError):
        a.finish(b.message)


@pytest.mark.parametrize(
    "words", [(), ("orbit", "velvet"), ("Orbit", "velvet", "canyon"), ("orbit", "velvet", "x")]
)
def test_a_pairing_needs_listed_lower_case_words(words: tuple[str, ...]) -> None:
    """Words that would hash differently on the other side are refused before any message."""
    with pytest.raises(InviteError):
        Pairing(NAMEPLATE, words)


def test_a_pairing_needs_a_valid_nameplate() -> None:
    """A nameplate that is not ten base32 symbols is refused."""
    with pytest.raises(InviteError):
        Pairing("K7M2Q-X9P4", draw_words())
