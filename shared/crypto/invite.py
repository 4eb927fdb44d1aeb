"""Invites people read aloud: the room's nameplate, then words from the BIP39 English list.

docs/protocol.md, Pairing, The invite: `K7M2Q-X9P4R-orbit-velvet-canyon`. Only the
nameplate goes to the server; the words are the password of the pairing.
"""

import difflib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from mnemonic import Mnemonic

from shared.codes import ALPHABET, LENGTH, normalize_code

WORDS: tuple[str, ...] = tuple(Mnemonic("english").wordlist)
"""BIP39 English: 2,048 lower-case words, each told apart by its first four letters."""

WORD_COUNT = 3
"""Three words of 11 bits: 33 bits, guessed once per pairing (a wrong guess burns the room)."""

_KNOWN = frozenset(WORDS)
_BY_PREFIX = {word[:4]: word for word in WORDS}
_ORDINALS = ("first", "second", "third", "fourth", "fifth")

# Spaces, the hyphen-minus, and the dashes a chat app or word processor puts in
# its place (the same dashes `shared.codes.normalize_code` ignores).
_SEPARATORS = re.compile("[\\s\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212]+")


class InviteError(ValueError):
    """An invite that cannot be read; `str()` is one sentence for the person who typed it.

    It may quote a word they typed, so like the invite it belongs on their
    screen, not in a log.
    """


@dataclass(frozen=True)
class Invite:
    """A parsed invite: the nameplate as shown (`XXXXX-XXXXX`) and the words, lower case."""

    nameplate: str
    # The words are the password: kept out of repr() so a logged Invite does not leak them.
    words: tuple[str, ...] = field(repr=False)


def draw_words(count: int = WORD_COUNT) -> tuple[str, ...]:
    """`count` words drawn from the list with a cryptographic random choice."""
    return tuple(secrets.choice(WORDS) for _ in range(count))


def shown_nameplate(nameplate: str) -> str:
    """The nameplate as shown, `XXXXX-XXXXX`, or InviteError saying what is wrong with it."""
    symbols = normalize_code(nameplate)
    for symbol in symbols:
        if symbol not in ALPHABET:
            raise InviteError(
                f"The room code cannot hold {_quoted(symbol)}: it uses digits and the letters "
                "but I, L, O and U."
            )
    if len(symbols) != LENGTH:
        raise InviteError(
            f"The room code has {LENGTH} symbols in two groups of five, and this one has "
            f"{len(symbols)}."
        )
    return f"{symbols[:5]}-{symbols[5:]}"


def invite_code(nameplate: str, words: Sequence[str]) -> str:
    """The invite to pass on: `XXXXX-XXXXX-word-word-word`."""
    for position, word in enumerate(words):
        _check_word(position, word)
    return "-".join([shown_nameplate(nameplate), *words])


def parse_invite(typed: str) -> Invite:
    """The invite in what a person typed, forgiving case, separators and look-alike symbols.

    The first ten room-code symbols are the nameplate and the rest are the
    words (docs/protocol.md, Pairing, The invite).
    """
    parts = [part for part in _SEPARATORS.split(typed) if part]
    if not parts:
        raise InviteError("The invite is empty.")
    nameplate, words = _split(parts)
    if len(words) < WORD_COUNT:
        if any(part.lower() in _KNOWN for part in _SEPARATORS.split(nameplate)):
            # "K7M2Q-orbit-velvet-canyon": a word was read as half of the room code.
            raise InviteError(
                f"The room code needs {LENGTH} symbols before the words, "
                "like K7M2Q-X9P4R-orbit-velvet-canyon."
            )
        raise InviteError(
            f"The invite needs at least {WORD_COUNT} words after the room code, "
            f"and this one has {len(words)}."
        )
    shown = shown_nameplate(nameplate)
    for position, word in enumerate(words):
        _check_word(position, word)
    return Invite(nameplate=shown, words=words)


def _split(parts: list[str]) -> tuple[str, tuple[str, ...]]:
    """The nameplate (parts up to ten symbols, joined by dashes) and the words after it."""
    taken: list[str] = []
    symbols = 0
    while parts and symbols < LENGTH:
        part = parts.pop(0)
        taken.append(part)
        symbols += len(part)
    if symbols > LENGTH:
        # Ten symbols end inside a part: "K7M2QX9P4Rorbit" lacks a separator,
        # which is forgiven when what follows the tenth symbol is a word.
        last = taken[-1]
        cut = len(last) - (symbols - LENGTH)
        if last[cut:].lower() not in _KNOWN:
            raise InviteError(
                f"The room code needs exactly {LENGTH} symbols, in two groups of five, "
                "before the words."
            )
        taken[-1] = last[:cut]
        parts.insert(0, last[cut:])
    return "-".join(taken), tuple(part.lower() for part in parts)


def _check_word(position: int, word: str) -> None:
    """InviteError naming the word at `position` if it is not in the list, with a likely fix."""
    if word in _KNOWN:
        return
    ordinal = _ORDINALS[position] if position < len(_ORDINALS) else f"number {position + 1}"
    guess = _BY_PREFIX.get(word[:4]) if len(word) >= 4 else None
    if guess is None:
        close = difflib.get_close_matches(word, WORDS, n=1)
        guess = close[0] if close else None
    hint = f"; did you mean {_quoted(guess)}?" if guess else "."
    raise InviteError(f"The {ordinal} word, {_quoted(word)}, is not in the word list{hint}")


def _quoted(typed: str) -> str:
    """`typed` in quotes, with anything unprintable escaped so it cannot act on a terminal."""
    return f"\u201c{typed}\u201d" if typed.isprintable() else ascii(typed)
