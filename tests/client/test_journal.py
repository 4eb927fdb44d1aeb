"""The journal: each session written as plain-reading Markdown on this machine, event by event."""

import re
import stat
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from client import cli
from client.app import FiresideApp
from client.decks import WARM_UP
from client.entry import Entry
from client.journal import JOURNAL_ENV, journal_dir, journal_wanted, plain, sessions
from client.saved_seats import SeatShelf
from shared.events import EventKind
from shared.messages import MessageType
from shared.seats import Phase, Seat
from tests.client.drive import ben_answers, paired_partner, session_of, until

SIZE = (100, 30)
HOSTILE = "[click me](http://evil.example) <b>bold</b> https://bare.example\n# not a heading\n*x*"
"""What a partner might type that Markdown would turn into a link, HTML, a heading or emphasis."""


def journals() -> list[Path]:
    return sorted(journal_dir().glob("*.md")) if journal_dir().is_dir() else []


def only_journal() -> str:
    files = journals()
    assert len(files) == 1, files
    return files[0].read_text(encoding="utf-8")


def seqs(text: str) -> list[int]:
    return [int(seq) for seq in re.findall(r"^<!-- seq (\d+) -->$", text, re.MULTILINE)]


async def a_full_round(server_url: str, entry: Entry | None = None) -> list[EventKind]:
    """Ana asks a card, Ben answers with markup, Ana nods and reflects, Ben feels heard.

    Returns the kinds of every event Ana's window saw, in order.
    """
    ana = FiresideApp(entry or Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        await pilot.press("f8")
        await ben.until_kind(EventKind.ASK)
        await ben.say(HOSTILE)
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.SAY)
        await pilot.press("1")
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.NOD)
        await ben.send(t="done")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await pilot.press(*"it was a lot", "ctrl+s")
        await ben.until_kind(EventKind.REFLECT)
        await ben.send(t="confirm")
        await until(pilot, lambda: room.room.round == 2)
        kinds = [opened.kind for opened in room.room_log]
    await ben.close()
    return kinds


async def test_a_full_round_is_journalled_in_order_as_plain_text(server_url: str) -> None:
    """Every event once, in order, and what Ben typed renders as text, never link or HTML."""
    kinds = await a_full_round(server_url)
    text = only_journal()
    assert seqs(text) == list(range(1, len(kinds) + 1))
    order = [
        "# Fireside session",
        "**Ana** sat down.",
        "**Ben** sat down.",
        "## Round 1",
        "**Ana** asked, from a question card:",
        f"> {WARM_UP.cards[0].text[:20]}",
        "**Ben** shared:",
        "**Ana** nodded: ♥",
        "**Ben** was done sharing.",
        "**Ana** reflected back:",
        "> it was a lot",
        "**Ben** felt heard.",
    ]
    places = [text.index(line) for line in order]
    assert places == sorted(places)

    html = MarkdownIt("gfm-like").render(text)
    assert "<a " not in html
    assert "<b>" not in html
    assert "<em>x</em>" not in html
    assert html.count("<h1>") == 1
    shown = "[click me](http://evil.example) &lt;b&gt;bold&lt;/b&gt; https://bare.example<br />\n"
    assert f"{shown}# not a heading<br />\n*x*</p>" in html


async def test_the_journal_is_private(server_url: str) -> None:
    """It holds what people wrote: the directory is 0700 and the file 0600."""
    await a_full_round(server_url)
    [path] = journals()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_a_crash_loses_nothing_and_a_resumed_seat_appends_once(server_url: str) -> None:
    """Closed mid-round, the file holds every event so far; resumed, it goes on without doubling."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await ben_answers(pilot, ana, "what I wanted to say")
        before = len(room.room_log)
        # Written as each event came, not at the end: it is all there while the window is open.
        await until(pilot, lambda: seqs(only_journal()) == list(range(1, before + 1)))
    assert "> what I wanted to say" in only_journal()

    [saved] = SeatShelf.default().all()
    again = FiresideApp(Entry.resuming(saved), enter_now=True)
    async with again.run_test(size=SIZE) as pilot:
        room = session_of(again)
        await until(pilot, lambda: room.room_log and room.room_log[-1].kind is EventKind.BACK)
        await ben.say("and one more thing")
        await until(pilot, lambda: room.room_log[-1].text == "and one more thing")
        total = len(room.room_log)
    await ben.close()

    text = only_journal()
    assert seqs(text) == list(range(1, total + 1))
    assert text.count("what I wanted to say") == 1
    assert text.count("# Fireside session") == 1
    assert text.index("what I wanted to say") < text.index("and one more thing")
    assert "stepped away" in text
    assert "came back" in text


async def test_no_journal_writes_nothing(server_url: str) -> None:
    """With the journal turned off a whole round leaves no file behind."""
    await a_full_round(server_url, Entry(server_url, "Ana", journal=False))
    assert journals() == []


def test_the_flag_and_the_environment_turn_the_journal_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--no-journal` or FIRESIDE_JOURNAL=0 turns it off; anything else leaves it on."""
    assert journal_wanted(no_journal=False)
    assert not journal_wanted(no_journal=True)
    monkeypatch.setenv(JOURNAL_ENV, "0")
    assert not journal_wanted(no_journal=False)
    monkeypatch.setenv(JOURNAL_ENV, "1")
    assert journal_wanted(no_journal=False)


def test_no_journal_is_accepted_before_and_after_a_command() -> None:
    """`--no-journal` parses on every command that opens a session, and defaults to off."""
    parser = cli._parser()
    assert parser.parse_args(["--no-journal"]).no_journal is True
    assert parser.parse_args([]).no_journal is False
    assert parser.parse_args(["create"]).no_journal is False
    assert parser.parse_args(["create", "--no-journal"]).no_journal is True
    assert parser.parse_args(["resume", "--no-journal"]).no_journal is True
    assert parser.parse_args(["host", "--no-journal"]).no_journal is True
    joined = parser.parse_args(["join", "A-b-c-d", "--server", "ws://x", "--no-journal"])
    assert joined.no_journal is True


async def test_fireside_journal_lists_shows_and_exports(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The list names the partner, `show` prints the session, `export` writes the same text."""
    await a_full_round(server_url)
    capsys.readouterr()

    assert cli.main(["journal"]) == 0
    listed = capsys.readouterr().out
    [entry] = sessions()
    assert listed == f"  1  {entry.date}  with Ben\n"

    assert cli.main(["journal", "show", "1"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("# Fireside session\n")
    assert "**Ben** shared:" in shown
    assert "<!--" not in shown

    copy = tmp_path / "our-evening.md"
    assert cli.main(["journal", "export", "1", str(copy)]) == 0
    assert copy.read_text(encoding="utf-8") == shown

    assert cli.main(["journal", "show", "2"]) == 1
    assert "no session 2" in capsys.readouterr().err


def test_an_empty_journal_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """Before any session, the list is one sentence, not an error."""
    assert cli.main(["journal"]) == 0
    assert capsys.readouterr().out.startswith("No sessions in the journal yet")


def test_indented_and_blank_lines_stay_text_in_the_quote() -> None:
    """Four leading spaces make no code block, and a blank line keeps the quote going."""
    html = MarkdownIt("gfm-like").render(plain("first\n\n    not code <i>\nlast\n"))
    assert "<pre>" not in html
    assert "<i>" not in html
    assert html.count("<blockquote>") == 1
    assert "<p>first</p>" in html
    assert "not code &lt;i&gt;<br />\nlast</p>" in html


async def test_a_closing_note_is_opened_shown_and_journalled(server_url: str) -> None:
    """Ben's sealed note opens in Ana's window, reads in the transcript and lands in the journal."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        await ben.send_box("note", ben.seal(MessageType.NOTE, {"text": "Thank you <3 [x](y)"}))
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.NOTE)
        assert room.room_log[-1].text == "Thank you <3 [x](y)"
        assert room.room.noted == {Seat.B}
    await ben.close()
    text = only_journal()
    assert "**Ben** left a closing note:\n\n> Thank you \\<3 \\[x\\]\\(y\\)" in text
