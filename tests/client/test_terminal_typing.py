"""Typing into the real `fireside demo --fast` in a pseudo-terminal of 80x24 (tests/terminal.py),
where keys arrive in one burst as a terminal delivers them."""

from collections.abc import Iterator

import pytest

from tests.terminal import CTRL_S, Terminal, fireside, terminal_env

QUESTION = "What did the rain sound like?"
"""Has d, l and r in it: the keys that once changed the deck instead of writing."""


@pytest.fixture
def demo_terminal() -> Iterator[Terminal]:
    """`fireside demo --fast` in an 80x24 pty; the state, config and data dirs are the tests'
    own (tests/conftest.py puts them in the environment this inherits)."""
    with Terminal([fireside(), "demo", "--fast", "--name", "Ana"], terminal_env()) as terminal:
        yield terminal


def _composer_rows(screen: str) -> str:
    """The rows of the composer box: from its top border, the first full-width one from the
    bottom, up to the status line."""
    rows = screen.splitlines()
    tops = [i for i, row in enumerate(rows) if row.startswith("╭─") and row.endswith("─╮")]
    assert tops, f"no composer on the screen:\n{screen}"
    top = tops[-1]
    return "\n".join(rows[top : top + 5])


def test_a_question_typed_in_one_burst_lands_whole_in_the_composer(
    demo_terminal: Terminal,
) -> None:
    """At the asker's first turn the whole question, written in one go, is in the composer with
    every letter in order, no card key took any, and ctrl+s asks it."""
    demo_terminal.until(lambda screen: "Write your own question" in screen, within=10)
    demo_terminal.write(QUESTION.encode())
    shown = demo_terminal.until(lambda screen: "like?" in _composer_rows(screen), within=3)
    assert QUESTION in _composer_rows(shown)
    assert "all decks · warm-up" in shown, "no letter reached the cards"

    demo_terminal.write(CTRL_S)
    asked = demo_terminal.until(
        lambda screen: "like?" not in _composer_rows(screen) and "What did the rain" in screen,
        within=5,
    )
    assert " ".join(asked.split()).count(QUESTION) >= 1, "the transcript shows the question"


F8, CTRL_DOWN = b"\x1b[19~", b"\x1b[1;5B"


def test_a_starter_picked_amid_a_burst_lands_between_its_words(demo_terminal: Terminal) -> None:
    """At the reflecting turn, tab, words, ctrl+down three times, F8 and more words in one
    write: the validate starter sits between the words, in the composer, in order."""
    demo_terminal.until(lambda screen: "Write your own question" in screen, within=10)
    demo_terminal.write(F8)
    demo_terminal.until(lambda screen: "A guide, if it helps" in screen, within=10)
    demo_terminal.write(b"\tSo " + CTRL_DOWN * 3 + F8 + b"it was the small things.")
    written = "So That makes sense, because… it was the small things."
    shown = demo_terminal.until(lambda screen: "things." in _composer_rows(screen), within=3)
    assert written in _composer_rows(shown)


def test_a_closing_note_typed_in_one_burst_lands_whole_in_the_note(
    demo_terminal: Terminal,
) -> None:
    """ctrl+q and a note written in the same go: the dialog stays open with every letter of the
    note in order (its `y` left nothing), and ctrl+s leaves with it."""
    note = "yes, thank you Sam"
    demo_terminal.until(lambda screen: "Write your own question" in screen, within=10)
    demo_terminal.write(b"\x11" + note.encode())  # ctrl+q, then the note
    shown = demo_terminal.until(lambda screen: "thank you Sam" in screen, within=5)
    assert f"│ {note} " in shown, "the note, whole, in its box"
    assert "The session has ended" not in shown

    demo_terminal.write(b"\x13")  # ctrl+s
    ended = demo_terminal.until(lambda screen: "Your note for Sam" in screen, within=5)
    assert note in ended.split("Your note for Sam")[1]
