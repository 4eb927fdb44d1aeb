"""Room codes: Crockford base32 in two groups of five, matched ignoring case, spaces and dashes."""

import math
import re

import pytest

from shared.codes import ALPHABET, LENGTH, new_code, normalize_code

CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


def test_the_alphabet_is_crockfords_base32() -> None:
    """32 distinct symbols: the digits and the capitals but I, L, O and U."""
    assert len(set(ALPHABET)) == len(ALPHABET) == 32
    assert set(ALPHABET) == set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") - set("ILOU")


def test_a_code_carries_at_least_40_random_bits() -> None:
    """Alphabet size to the power of the length is at least 2**40 (here 2**50)."""
    bits = LENGTH * math.log2(len(ALPHABET))
    assert bits >= 40
    assert bits == 50


def test_a_new_code_is_two_groups_of_five() -> None:
    """`new_code()` is shown as `XXXXX-XXXXX` in the alphabet's symbols."""
    for _ in range(200):
        code = new_code()
        assert CODE.fullmatch(code), code
        assert len(code.replace("-", "")) == LENGTH


def test_new_codes_differ_and_use_the_whole_alphabet() -> None:
    """A thousand codes are all different, and together use every symbol in every position."""
    codes = [new_code().replace("-", "") for _ in range(1000)]
    assert len(set(codes)) == len(codes)
    for position in range(LENGTH):
        assert {code[position] for code in codes} == set(ALPHABET)


def test_a_new_code_normalizes_to_itself_without_the_dash() -> None:
    """What the server shows matches itself once normalized."""
    for _ in range(100):
        code = new_code()
        assert normalize_code(code) == code.replace("-", "")


@pytest.mark.parametrize(
    "typed",
    [
        "K7M2Q-X9P4R",
        "k7m2q-x9p4r",
        "K7M2QX9P4R",
        "k7m2q x9p4r",
        "  K7M2Q - X9P4R  ",
        "K-7-M-2-Q-X-9-P-4-R",
        "k7m2Q\tx9P4r\n",
        "k7m2q--x9p4r",
        "K7M2Q\u2013X9P4R",
        "K7M2Q \u2014 X9P4R",
        "K7M2Q\u2010X9P4R",
        "K7M2Q\u2011X9P4R",
        "K7M2Q\u2212X9P4R",
        "K7M2Q\u00a0X9P4R",
    ],
)
def test_case_spaces_and_dashes_are_ignored(typed: str) -> None:
    """Any case, and spaces or dashes (typographic ones too) anywhere, match the shown code."""
    assert normalize_code(typed) == "K7M2QX9P4R"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("ABOO0-11ILl", "AB000-11111"), ("o0o0o-iIlLi", "00000-11111")],
)
def test_look_alike_letters_are_read_as_digits(typed: str, meant: str) -> None:
    """O reads as 0, and I and L as 1, in either case."""
    assert normalize_code(typed) == normalize_code(meant)


def test_different_codes_stay_different() -> None:
    """Normalizing does not merge codes that differ in a real symbol."""
    assert normalize_code("K7M2Q-X9P4R") != normalize_code("K7M2Q-X9P4S")
