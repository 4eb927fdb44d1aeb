"""Invites: the nameplate and three BIP39 words, drawn, written out and read back leniently."""

import math

import pytest

from shared.codes import new_code
from shared.crypto.invite import (
    WORD_COUNT,
    WORDS,
    Invite,
    InviteError,
    draw_words,
    invite_code,
    parse_invite,
)

WORDS_OF_EXAMPLE = ("orbit", "velvet", "canyon")


def test_the_word_list_is_bip39_english() -> None:
    """2,048 distinct lower-case words, `abandon` to `zoo`, each known by its first four letters."""
    assert len(WORDS) == len(set(WORDS)) == 2048
    assert (WORDS[0], WORDS[-1]) == ("abandon", "zoo")
    assert all(word.isascii() and word.isalpha() and word.islower() for word in WORDS)
    assert len({word[:4] for word in WORDS}) == 2048


def test_the_words_carry_at_least_33_bits() -> None:
    """Three words of a 2,048-word list are 33 bits of the pairing's password."""
    assert WORD_COUNT * math.log2(len(set(WORDS))) >= 33


def test_drawn_words_come_from_the_list_and_vary() -> None:
    """`draw_words` gives three listed words, and 500 draws are all different."""
    draws = [draw_words() for _ in range(500)]
    assert all(len(words) == 3 and set(words) <= set(WORDS) for words in draws)
    assert len(set(draws)) == len(draws)
    assert len(draw_words(5)) == 5


def test_an_invite_round_trips() -> None:
    """What `invite_code` writes, `parse_invite` reads back as the same nameplate and words."""
    for _ in range(200):
        nameplate, words = new_code(), draw_words()
        code = invite_code(nameplate, words)
        assert code == f"{nameplate}-{'-'.join(words)}"
        assert parse_invite(code) == Invite(nameplate=nameplate, words=words)


@pytest.mark.parametrize(
    "typed",
    [
        "K7M2Q-X9P4R-orbit-velvet-canyon",
        "k7m2q-x9p4r-ORBIT-Velvet-canyon",
        "K7M2Q X9P4R orbit velvet canyon",
        "  K7M2QX9P4R   orbit  velvet\tcanyon \n",
        "K7M2Q - X9P4R -- orbit - velvet - canyon",
        "K7M2Q\u2013X9P4R\u2013orbit\u2014velvet\u2212canyon",
        "K7M2Q\u2010X9P4R\u2011orbit velvet\u2012canyon",
        "K7M2QX9P4Rorbit-velvet-canyon",
        "K 7 M 2 Q X 9 P 4 R orbit velvet canyon",
    ],
)
def test_parsing_forgives_case_spaces_and_dashes(typed: str) -> None:
    """Case, spaces, hyphens, typographic dashes, no separator after the nameplate: all forgiven."""
    assert parse_invite(typed) == Invite(nameplate="K7M2Q-X9P4R", words=WORDS_OF_EXAMPLE)


def test_parsing_reads_look_alike_letters_in_the_nameplate() -> None:
    """O reads as 0 and I or L as 1 in the nameplate, as `normalize_code` does, but not in words."""
    invite = parse_invite("o1o1i-l0LIO-orbit-velvet-canyon")
    assert invite == Invite(nameplate="01011-10110", words=WORDS_OF_EXAMPLE)


def test_more_than_three_words_are_kept() -> None:
    """An invite may carry more words; all of them are the password."""
    invite = parse_invite("K7M2Q-X9P4R-orbit-velvet-canyon-zoo")
    assert invite.words == (*WORDS_OF_EXAMPLE, "zoo")


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        (
            "K7M2Q-X9P4R-orbit-velvte-canyon",
            "The second word, \u201cvelvte\u201d, is not in the word list; "
            "did you mean \u201cvelvet\u201d?",
        ),
        (
            "K7M2Q-X9P4R-orbit-velvet-canyn",
            "The third word, \u201ccanyn\u201d, is not in the word list; "
            "did you mean \u201ccanyon\u201d?",
        ),
        (
            "K7M2Q-X9P4R-orbit-velvet-qqqqqq",
            "The third word, \u201cqqqqqq\u201d, is not in the word list.",
        ),
        (
            "K7M2Q-X9P4R-orbit-velvet",
            "The invite needs at least 3 words after the room code, and this one has 2.",
        ),
        (
            "K7M2Q-X9P4R",
            "The invite needs at least 3 words after the room code, and this one has 0.",
        ),
        (
            "K7M2Q-orbit-velvet-canyon",
            "The room code needs 10 symbols before the words, "
            "like K7M2Q-X9P4R-orbit-velvet-canyon.",
        ),
        (
            "K7M2Q-X9P4-orbit-velvet-canyon",
            "The room code needs exactly 10 symbols, in two groups of five, before the words.",
        ),
        (
            "K7M2Q-X9P4RR-orbit-velvet-canyon",
            "The room code needs exactly 10 symbols, in two groups of five, before the words.",
        ),
        (
            "K7M2U-X9P4R-orbit-velvet-canyon",
            "The room code cannot hold \u201cU\u201d: it uses digits and the letters "
            "but I, L, O and U.",
        ),
        ("", "The invite is empty."),
        (" - \u2014 ", "The invite is empty."),
    ],
)
def test_a_wrong_invite_is_refused_in_one_sentence(typed: str, says: str) -> None:
    """A wrong word (with the closest listed word), too few words or a bad nameplate is named."""
    with pytest.raises(InviteError) as refused:
        parse_invite(typed)
    assert str(refused.value) == says
    assert isinstance(refused.value, ValueError)


def test_an_unprintable_character_is_escaped_in_the_refusal() -> None:
    """A control or bidi character the person pasted is shown escaped, never raw."""
    with pytest.raises(InviteError) as refused:
        parse_invite("K7M2Q-X9P4R-orbit-velvet-can\u202eyon")
    assert "\u202e" not in str(refused.value)
    assert "\\u202e" in str(refused.value)


def test_invite_code_refuses_what_it_could_not_read_back() -> None:
    """A word outside the list or a malformed nameplate cannot be written into an invite."""
    with pytest.raises(InviteError):
        invite_code("K7M2Q-X9P4R", ("orbit", "velvet", "Canyon"))
    with pytest.raises(InviteError):
        invite_code("K7M2Q-X9P4", WORDS_OF_EXAMPLE)


def test_the_words_stay_out_of_repr() -> None:
    """A logged Invite shows its nameplate but not the words, which are the password."""
    shown = repr(parse_invite("K7M2Q-X9P4R-orbit-velvet-canyon"))
    assert "K7M2Q-X9P4R" in shown
    assert not any(word in shown for word in WORDS_OF_EXAMPLE)
