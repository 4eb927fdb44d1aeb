"""Room codes people read aloud and type: Crockford base32 in two groups of five."""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U, so nothing reads as something else."""

LENGTH = 10
"""Ten symbols of five bits: 50 random bits, above the contract's 40."""

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
"""The hyphen-minus, and the dashes a chat app or word processor may put in its place."""

_MATCHED_AS = str.maketrans({"O": "0", "I": "1", "L": "1", **dict.fromkeys(_DASHES)})


def new_code() -> str:
    """A fresh random code, shown as `XXXXX-XXXXX`."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{symbols[:5]}-{symbols[5:]}"


def normalize_code(typed: str) -> str:
    """The code as matched: case, spaces and dashes ignored, look-alike letters read as digits."""
    return "".join(typed.split()).upper().translate(_MATCHED_AS)
