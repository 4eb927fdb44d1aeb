"""Room codes people read aloud and type: Crockford base32 in two groups of five."""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U, so nothing reads as something else."""

LENGTH = 10
"""Ten symbols of five bits: 50 random bits, above the contract's 40."""

_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh random code, shown as `XXXXX-XXXXX`."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{symbols[:5]}-{symbols[5:]}"


def normalize_code(typed: str) -> str:
    """The code as matched: case, spaces and dashes ignored, look-alike letters read as digits."""
    squeezed = "".join(typed.split()).replace("-", "").upper()
    return squeezed.translate(_LOOKALIKES)
