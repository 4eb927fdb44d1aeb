"""The question cards: warm-ups first, deeper ones later, and the reflection starters."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    """One question; `id` travels as `ask.card` so both sides know which card it was."""

    id: str
    text: str


@dataclass(frozen=True)
class Deck:
    """A titled run of cards, shown in order."""

    title: str
    cards: tuple[Card, ...]


WARM_UP = Deck(
    "Warm-up",
    (
        Card("w1", "What was the high and low of your day?"),
        Card("w2", "Are there any worries weighing on your mind at the moment?"),
        Card("w3", "What's a fascinating thing you recently learned?"),
        Card("w4", "How can I support you in the best way right now?"),
        Card("w5", "Can you think of something I did recently that made you feel cherished?"),
    ),
)

DEEPER = Deck(
    "Deeper",
    (
        Card(
            "d1",
            "What is a place from your childhood you can still see clearly? Walk me through it.",
        ),
        Card("d2", "Who made you feel safe when you were small, and how did they do it?"),
        Card(
            "d3", "What did you believe about the world as a child that you later had to unlearn?"
        ),
        Card("d4", "Which fear has followed you the longest, and when do you notice it most?"),
        Card("d5", "What is something you are afraid to lose, and what would it mean to you?"),
        Card("d6", "Tell me about a moment that changed how you see yourself."),
        Card("d7", "When did you last feel truly proud of yourself, even if nobody saw it?"),
        Card("d8", "What is a hard time you came through that I may not fully know about?"),
        Card("d9", "What did your family never talk about, and how did that shape you?"),
        Card("d10", "Is there a version of yourself you miss? What were you like back then?"),
        Card("d11", "What do you wish someone had told you when you were fifteen?"),
        Card(
            "d12", "What would you like me to understand about you that is hard to put into words?"
        ),
    ),
)

DECKS = (WARM_UP, DEEPER)

STARTERS = (
    "What I heard is… ",
    "That makes sense because… ",
    "I imagine you might feel… ",
    "It sounds like what matters most to you is… ",
)
"""Openings that help the asker mirror and validate what they heard, without judging."""
