"""The letters screen through a real server on 127.0.0.1: a whole letter from either side, the
race of two proposals, partner markup shown literally, and `--status` at each step."""

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Input, Static

from client.entry import Entry
from client.journal import journal_dir, plain
from client.letters_app import LettersApp
from client.letters_command import status
from client.saved_seats import SavedSeat, SeatShelf
from client.screens.end_letters_dialog import EndLettersDialog
from client.screens.letters import LettersScreen
from client.screens.letters_start import LettersStartScreen
from client.settings import Settings
from client.widgets.composer import Composer
from client.widgets.deck_panel import DeckPanel
from client.widgets.invite_card import InviteCard
from client.widgets.letter_pages import LetterPages
from client.widgets.reflection_starters import ReflectionStarters
from client.widgets.status_line import StatusLine
from server.app import RunningServer
from shared.messages import MessageType
from shared.seats import Mode, Phase
from tests.client.drive import until
from tests.e2e.relay import relay

SIZE = (80, 24)
MARKUP = "[bold]x[/bold] and [@click=app.quit]y[/]"
"""What a partner might write that Textual would take for markup: shown as these characters."""


def letters_of(app: LettersApp) -> LettersScreen:
    screen = app.screen
    assert isinstance(screen, LettersScreen), f"the screen is {screen!r}"
    return screen


def page(screen: LettersScreen) -> str:
    """The letters as the person reads them now."""
    return screen.query_one(LetterPages).plain


@contextlib.asynccontextmanager
async def letters_pair(
    server_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Pilot[Any], LettersScreen, Pilot[Any], LettersScreen]]:
    """Ana starts letters, Ben joins with her invite; each keeps a shelf of their own; both are
    paired and the first letter waits for a question."""
    ana_shelf = SeatShelf(tmp_path / "ana", forgotten_after=None)
    ben_shelf = SeatShelf(tmp_path / "ben", forgotten_after=None)
    ana_entry = Entry(server_url, "Ana", mode=Mode.LETTERS)
    ana = LettersApp(ana_entry, Settings(server=server_url, name="Ana"), ana_shelf)
    async with ana.run_test(size=SIZE) as ana_pilot:
        ana_room = letters_of(ana)
        await until(ana_pilot, lambda: ana_room.invite is not None)
        assert ana_room.invite is not None
        ben_entry = Entry.joining(server_url, "Ben", ana_room.invite)
        ben = LettersApp(ben_entry, Settings(server=server_url, name="Ben"), ben_shelf)
        async with ben.run_test(size=SIZE) as ben_pilot:
            ben_room = letters_of(ben)
            await until(ana_pilot, lambda: ana_room.room.phase is Phase.PROPOSING, within=5)
            await until(ben_pilot, lambda: ben_room.room.phase is Phase.PROPOSING, within=5)
            yield ana_pilot, ana_room, ben_pilot, ben_room


async def write(pilot: Pilot[Any], screen: LettersScreen, text: str) -> None:
    """Put `text` in the open composer and send it with ctrl+s."""
    composer = screen.query_one(Composer)
    assert not composer.disabled, "the composer is closed"
    composer.insert(text)
    await pilot.press("ctrl+s")


def saved(screen: LettersScreen) -> SavedSeat:
    assert screen.keeper is not None
    assert screen.keeper.seat is not None
    return screen.keeper.seat


async def status_of(screen: LettersScreen) -> str:
    """What `fireside letters --status` prints for this screen's saved seat."""
    line, reached = await status(saved(screen), Settings())
    assert reached, line
    return line


async def test_a_whole_letter_from_question_to_the_next(server_url: str, tmp_path: Path) -> None:
    """Ana proposes and answers (sealed); Ben's answer reveals both, markup literal; both
    reflect, Ben asks for more and adds, both feel heard, and the next letter opens;
    `--status` says each step in one line, both journals hold the whole letter, and page up
    scrolls back through it from the composer."""
    async with letters_pair(server_url, tmp_path) as (ana_pilot, ana, ben_pilot, ben):
        assert ana.query_one(DeckPanel).display
        assert await status_of(ana) == "Propose the first question"
        await write(ana_pilot, ana, "What do you miss most today?")
        await until(ben_pilot, lambda: ben.room.phase is Phase.ANSWERING)
        assert "What do you miss most today?" in page(ben)
        assert "Ana proposed it" in page(ben)

        await until(ana_pilot, lambda: ana._writing is not None)
        await write(ana_pilot, ana, "The walk to the bakery")
        await until(ana_pilot, lambda: "sealed until Ben answers" in page(ana))
        await until(ben_pilot, lambda: "sealed until you answer" in page(ben))
        assert "The walk to the bakery" not in page(ben)
        assert await status_of(ana) == "Your answer is sealed; waiting for Ben"
        assert await status_of(ben) == "Ana answered; your turn"

        await write(ben_pilot, ben, MARKUP)
        await until(ana_pilot, lambda: MARKUP in page(ana))
        await until(ben_pilot, lambda: "The walk to the bakery" in page(ben))
        assert ana.query_one(ReflectionStarters).display
        assert await status_of(ana) == "Reflect what you heard in Ben's answer"

        await write(ana_pilot, ana, "I heard a bold x and a y")
        await until(ben_pilot, lambda: ben.check_action("move", ("more",)) is True)
        assert await status_of(ben) == (
            "Ana reflected your answer; say if you felt heard; reflect what you heard in "
            "Ana's answer"
        )
        await ben_pilot.press("f6")
        await until(ben_pilot, lambda: ben._writing is not None and ben._writing.value == "say")
        await write(ben_pilot, ben, "And the smell of rain")
        await until(ana_pilot, lambda: "And the smell of rain" in page(ana))
        await until(ana_pilot, lambda: ana._writing is not None)
        await write(ana_pilot, ana, "I heard the rain too")
        await until(ben_pilot, lambda: ben.check_action("move", ("confirm",)) is True)
        await ben_pilot.press("f5")
        await until(ben_pilot, lambda: ben._writing is not None)
        await write(ben_pilot, ben, "I heard the bakery walk")
        await until(ana_pilot, lambda: ana.check_action("move", ("confirm",)) is True)
        await ana_pilot.press("f5")

        await until(ana_pilot, lambda: ana.room.phase is Phase.PROPOSING)
        await until(ben_pilot, lambda: ben.room.round == 2)
        header = ana.query_one("#letters-header", Static).content
        assert isinstance(header, Text)
        assert "1 conversation ·" in header.plain
        assert await status_of(ben) == "Both felt heard; propose the next question"
        assert ben.query_one(DeckPanel).display
        pages = ana.query_one(LetterPages)
        await until(ana_pilot, lambda: pages.scroll_y > 0 and pages.scroll_y == pages.max_scroll_y)
        await ana_pilot.press("pageup")
        assert pages.scroll_y < pages.max_scroll_y, "page up scrolls the letter, not the box"

    journals = [path.read_text(encoding="utf-8") for path in journal_dir().glob("*.md")]
    assert len(journals) == 2
    for journal in journals:
        assert journal.startswith("# Fireside letters\n")
        assert "## Letter 1" in journal
        assert f"proposed:\n\n{plain('What do you miss most today?')}" in journal
        assert f"answered:\n\n{plain('The walk to the bakery')}" in journal
        assert f"answered:\n\n{plain(MARKUP)}" in journal
        assert f"added to the answer:\n\n{plain('And the smell of rain')}" in journal
        assert f"reflected back:\n\n{plain('I heard the rain too')}" in journal
        assert journal.count("felt heard.") == 2


async def test_two_proposals_at_once_keep_the_late_question(
    server_url: str, tmp_path: Path
) -> None:
    """Both propose in the same moment: the first recorded opens, and the other person's words
    are kept for the next letter while their screen shows the partner's question."""
    async with letters_pair(server_url, tmp_path) as (ana_pilot, ana, ben_pilot, ben):
        ana.query_one(Composer).insert("Ana's question?")
        ben.query_one(Composer).insert("Ben's question?")
        await ana.action_send("propose")
        await ben.action_send("propose")
        await until(ana_pilot, lambda: ana.room.phase is Phase.ANSWERING)
        await until(ben_pilot, lambda: ben.room.phase is Phase.ANSWERING)
        first = "Ana's question?" if "Ana's question?" in page(ben) else "Ben's question?"
        late, late_pilot = (ben, ben_pilot) if first == "Ana's question?" else (ana, ana_pilot)
        kept = "Ben's question?" if late is ben else "Ana's question?"
        await until(late_pilot, lambda: "first" in late.query_one(StatusLine).sentence)
        assert first in page(late)
        assert kept not in page(late)
        assert kept in late._drafts.values()


def answered_letter(screen: LettersScreen, writer: str) -> int | None:
    """The letter (its round) in which `writer`'s answer is in the log, if any."""
    events = [opened.event for opened in screen.link.mirror.log]
    seat = next(
        e.by
        for e in events
        if e.kind.value == "hello" and (screen.link.mirror.names.get(e.by) == writer)
    )
    return next((e.state.round for e in events if e.kind.value == "answer" and e.by is seat), None)


async def test_an_answer_typed_behind_its_question_waits_for_it(
    server_url: str, tmp_path: Path
) -> None:
    """A question and its answer sent in one burst: the answer stays on the screen until the
    question is in the log, then goes out as the answer to that question."""
    async with letters_pair(server_url, tmp_path) as (_ana_pilot, ana, ben_pilot, ben):
        ana.query_one(Composer).insert("Ana's question?")
        await ana.action_send("propose")
        ana.query_one(Composer).insert("Ana's answer.")
        await ana.action_send("answer")
        if ana.room.phase is Phase.PROPOSING:
            # The question is still on its way: the answer must not be.
            assert ana.link.mirror.on_its_way == (MessageType.PROPOSE,)
            assert ana._held_answer == "Ana's answer."
        await until(ben_pilot, lambda: "Ana answered" in page(ben))
        assert answered_letter(ben, "Ana") == 1
        assert ana._held_answer is None


class HoldPartnersQuestion:
    """Holds the partner's `propose` event on its way down to Ana until the next reply comes
    after it: Ana's client learns of Ben's question only after it has sent its own burst."""

    def __init__(self) -> None:
        self.held: dict[str, Any] | None = None

    def __call__(self, reply: dict[str, Any]) -> list[dict[str, Any]]:
        if reply.get("kind") == "propose" and reply.get("by") == "b" and self.held is None:
            self.held = reply
            return []
        if self.held is not None and reply.get("t") == "error":
            held, self.held = self.held, {}
            return [held, reply]
        return [reply]


async def test_an_answer_behind_a_question_that_lost_the_race_is_kept_unsent(
    server: RunningServer, tmp_path: Path
) -> None:
    """Ben's question is recorded first while Ana, not yet told, sends hers and its answer in
    one burst: her answer never goes out as an answer to Ben's question, and her question
    and her answer are both kept."""
    async with relay(server.port) as between:
        hold = HoldPartnersQuestion()
        between.tamper[0] = hold
        url = f"ws://127.0.0.1:{between.port}"
        async with letters_pair(url, tmp_path) as (ana_pilot, ana, ben_pilot, ben):
            ben.query_one(Composer).insert("Ben's question?")
            await ben.action_send("propose")
            await until(ben_pilot, lambda: ben.room.phase is Phase.ANSWERING)
            assert hold.held is not None
            assert ana.room.phase is Phase.PROPOSING
            ana.query_one(Composer).insert("Ana's question?")
            await ana.action_send("propose")
            ana.query_one(Composer).insert("Ana's answer.")
            await ana.action_send("answer")
            await until(ana_pilot, lambda: "first" in ana.query_one(StatusLine).sentence)
            assert ana._drafts.get(MessageType.PROPOSE) == "Ana's question?"
            await until(ana_pilot, lambda: "Ana's answer." in ana.query_one(Composer).text)
            assert answered_letter(ana, "Ana") is None
            assert "Ana answered" not in page(ben)
            assert not any(m["t"] == "answer" for m in between.sent(0, "up"))


async def test_ending_asks_first_then_ends_for_both_and_forgets_the_seat(
    server_url: str, tmp_path: Path
) -> None:
    """F9 asks; escape keeps the letters; ctrl+e in the dialog ends them for both, each seat
    leaves its shelf, and `--status` on Ben's old seat says the letters ended."""
    async with letters_pair(server_url, tmp_path) as (ana_pilot, ana, ben_pilot, ben):
        ben_seat = saved(ben)
        # The pilot's app, not `ana.app`: with two apps in one test, a widget's `app` is the
        # one whose context the caller runs in.
        app = ana_pilot.app
        await ana_pilot.press("f9")
        assert isinstance(app.screen, EndLettersDialog)
        await ana_pilot.press("escape")
        assert not isinstance(app.screen, EndLettersDialog)
        assert ana.room.phase is Phase.PROPOSING
        await ana_pilot.press("f9", "ctrl+e")
        await until(ben_pilot, lambda: ben.room.phase is Phase.ENDED)
        await until(ana_pilot, lambda: ana.room.phase is Phase.ENDED)
        assert "Ana ended the letters." in page(ben)
        assert ana.query_one(Composer).disabled
        assert list((tmp_path / "ana").glob("*.json")) == []
        assert list((tmp_path / "ben").glob("*.json")) == []
        line, reached = await status(ben_seat, Settings())
        assert (line, reached) == ("Letters with Ana ended.", True)


async def test_the_open_window_runs_the_hook_once_when_it_becomes_your_move(
    server_url: str, tmp_path: Path
) -> None:
    """Ben's window runs his notify command when Ana's question makes it his move, once: her
    answer while it is still his move runs nothing more."""
    ran = tmp_path / "ran"
    script = f"import sys; open({str(ran)!r}, 'a').write(sys.argv[1] + chr(10))"
    async with letters_pair(server_url, tmp_path) as (ana_pilot, ana, ben_pilot, ben):
        ben.settings = Settings(server=server_url, notify=(sys.executable, "-c", script))
        await write(ana_pilot, ana, "What made you laugh?")
        await until(ben_pilot, lambda: ran.exists(), within=5)
        await until(ana_pilot, lambda: ana._writing is MessageType.ANSWER)
        await write(ana_pilot, ana, "You did")
        await until(ben_pilot, lambda: "Ana answered at" in page(ben))
        await ben_pilot.pause(0.5)
        assert ran.read_text().splitlines() == ["Ana proposed a question; your turn to answer"]


async def test_the_first_visit_starts_or_joins_from_the_start_screen(
    server_url: str, tmp_path: Path
) -> None:
    """With no letters yet, Ana's Start letters makes a letters room and shows the invite;
    Ben's screen refuses an unreadable invite in one sentence, then joins with hers."""
    settings = Settings(server=server_url, name="Ana")
    ana_shelf = SeatShelf(tmp_path / "ana", forgotten_after=None)
    ben_shelf = SeatShelf(tmp_path / "ben", forgotten_after=None)
    ana = LettersApp(None, settings, ana_shelf)
    async with ana.run_test(size=SIZE) as ana_pilot:
        assert isinstance(ana.screen, LettersStartScreen)
        await ana_pilot.press("enter")
        await until(ana_pilot, lambda: isinstance(ana.screen, LettersScreen))
        ana_room = letters_of(ana)
        await until(ana_pilot, lambda: ana_room.invite is not None)
        assert ana_room.invite is not None
        invite_card = ana_room.query_one(InviteCard)
        assert invite_card.display
        ben_settings = Settings(server=server_url, name="Ben")
        ben = LettersApp(None, ben_settings, ben_shelf)
        async with ben.run_test(size=SIZE) as ben_pilot:
            start = ben.screen
            assert isinstance(start, LettersStartScreen)
            start.query_one("#invite", Input).value = "not an invite"
            await ben_pilot.click("#join")
            problem = start.query_one("#problem", Static).content
            assert isinstance(problem, Text)
            assert problem.plain
            assert isinstance(ben.screen, LettersStartScreen)
            field = start.query_one("#invite", Input)
            field.value = ana_room.invite
            field.focus()
            await ben_pilot.press("enter")
            await until(ben_pilot, lambda: isinstance(ben.screen, LettersScreen))
            await until(ana_pilot, lambda: ana_room.room.phase is Phase.PROPOSING, within=5)
            assert ana_room.room.mode is Mode.LETTERS
            assert letters_of(ben).room.mode is Mode.LETTERS
            kept = [*ana_shelf.all(), *ben_shelf.all()]
            assert [seat.mode for seat in kept] == [Mode.LETTERS, Mode.LETTERS]


async def test_a_first_visit_that_cannot_get_in_goes_back_with_the_reason(
    tmp_path: Path,
) -> None:
    """Start letters on a server that is not there: back to the start screen, one sentence."""
    settings = Settings(server="ws://127.0.0.1:9", name="Ana")
    app = LettersApp(None, settings, SeatShelf(tmp_path / "ana", forgotten_after=None))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await until(
            pilot, lambda: isinstance(app.screen, LettersStartScreen) and app.screen.problem
        )
        assert isinstance(app.screen, LettersStartScreen)
        assert "Could not reach the server at ws://127.0.0.1:9" in app.screen.problem
