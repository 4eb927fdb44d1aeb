"""The question cards, read from the decks shipped beside this module, and the reflection starters.

The decks themselves are data: one TOML file per deck in this package, checked
on load by `client.decks.loader`, with custom decks from the config dir beside them.
"""

from client.decks.loader import BUILT_IN, Card, Deck, DeckProblem, Depth, Library, load_library

WARM_UP = BUILT_IN.decks[0]
"""The warm-up deck: the five questions Fireside has always opened with."""

STARTERS = (
    "What I heard is… ",
    "That makes sense because… ",
    "I imagine you might feel… ",
    "It sounds like what matters most to you is… ",
)
"""Openings that help the asker mirror and validate what they heard, without judging."""

__all__ = [
    "BUILT_IN",
    "STARTERS",
    "WARM_UP",
    "Card",
    "Deck",
    "DeckProblem",
    "Depth",
    "Library",
    "load_library",
]
