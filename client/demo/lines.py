"""What Sam, the demo's scripted partner, says: gentle, short, and plain text only."""

import re

PARTNER_NAME = "Sam"

ANSWER = (
    "Hmm, let me think about that for a moment.",
    "What comes to mind first are the small things: a walk after dinner, "
    "a good cup of tea, someone asking how my day really went.",
    "I think that's it for now. Thank you for asking.",
)
"""Sam's answer to whatever the person asks in the first round."""

MORE = ("What I mean is, those small moments make me feel close to people.",)
"""What Sam adds when the person's reflection gets a "there's more"."""

GOODBYE = (
    "I'll leave that one for you to ask someone you love: this is where our practice ends.",
    "Thank you for asking, and for listening so well. Now you know how it goes: "
    "`fireside create` makes a room and an invite to share. Goodbye for now!",
)
"""Sam's last share: after it Sam confirms the reflection and leaves the room."""

QUESTIONS = (
    "What is something small that made you smile this week?",
    "What is a place you would like to show me one day?",
    "What did you enjoy doing as a child?",
)
"""Warm-up questions Sam asks when it is Sam's turn to ask."""

QUOTED_WORDS = 8
"""How many of the person's words a reflection quotes back."""


def reflection(shared: list[str]) -> str:
    """Say back a few of the person's own words, from their first message and their last."""
    quotes = [_quoted(text) for text in (shared[:1] + shared[1:][-1:]) if text.strip()]
    if not quotes:
        return "What I heard is that this is not easy to put into words. Did I hear you right?"
    heard = " and ".join(quotes)
    return f"What I heard is {heard}, and that it matters to you. Did I hear you right?"


def _quoted(text: str) -> str:
    words = re.findall(r"\S+", text)
    if len(words) > QUOTED_WORDS:
        return f'"{" ".join(words[:QUOTED_WORDS])}…"'
    # The sentence goes on after the quote: its own full stop would read twice.
    return f'"{" ".join(words).rstrip(".!?,;:")}"'
