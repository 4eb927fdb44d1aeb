"""A seat kept on disk comes back after the window closed, with the whole transcript, once."""

import json
import stat
from pathlib import Path

from textual.widgets import Button

from client.app import FiresideApp
from client.entry import Entry
from client.saved_seats import SavedSeat, SeatShelf
from client.screens.welcome import WelcomeScreen
from client.widgets.resume_offers import ResumeOffers
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript
from shared.events import EventKind
from shared.seats import Seat
from tests.client.drive import WireMember, ben_answers, in_room, session_of, until
from tests.client.test_entry import free_port

SIZE = (100, 30)


def seat_files() -> list[Path]:
    return sorted(SeatShelf.default().directory.glob("*.json"))


def only_seat() -> dict[str, object]:
    """The one seat file's JSON."""
    files = seat_files()
    assert len(files) == 1, files
    raw: dict[str, object] = json.loads(files[0].read_text())
    return raw


async def a_session_left_open(server_url: str) -> tuple[SavedSeat, WireMember]:
    """Ana creates a room, asks, Ben answers, and Ana's window closes without leaving."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        _, ben = await ben_answers(pilot, ana, server_url, "what I wanted to say")
    [saved] = SeatShelf.default().all()
    return saved, ben


async def test_joining_keeps_a_private_seat_until_leaving(server_url: str) -> None:
    """The seat is written 0600 once seated, follows the events, and is removed on leave."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: in_room(ana))
        room = session_of(ana)
        ticket = room.link.ticket
        assert ticket is not None
        await until(pilot, seat_files)
        assert stat.S_IMODE(seat_files()[0].stat().st_mode) == 0o600
        assert stat.S_IMODE(seat_files()[0].parent.stat().st_mode) == 0o700
        assert only_seat() == {
            "format": 1,
            "server": server_url,
            "code": room.code,
            "seat": "a",
            "token": ticket.token,
            "name": "Ana",
            "partner": None,
            "last_seq": 0,
        }

        ben = await WireMember.join(server_url, room.code, "Ben")
        await ben.send(t="nod", kind="heart")
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.NOD)
        last = room.room_log[-1].seq
        await until(pilot, lambda: only_seat()["last_seq"] == last)
        assert only_seat()["partner"] == "Ben"

        await pilot.press("ctrl+q", "y")
        await until(pilot, lambda: not ana.is_running)
    assert seat_files() == []
    await ben.close()


async def test_a_resumed_seat_shows_the_whole_transcript_once(server_url: str) -> None:
    """After the window closed, resuming the saved seat is seat `a` again with every event once."""
    saved, ben = await a_session_left_open(server_url)
    assert saved.seat is Seat.A
    assert saved.partner == "Ben"

    again = FiresideApp(Entry.resuming(saved), enter_now=True)
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: in_room(again))
        room = session_of(again)
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.BACK)
        assert room.me is Seat.A
        seqs = room.query_one(Transcript).seqs
        assert seqs == list(range(1, len(seqs) + 1))
        assert [e.text for e in room.room_log if e.kind is EventKind.SAY] == [
            "what I wanted to say"
        ]
        assert room.query_one(StatusLine).sentence == "Connected again."
        kinds = [(await ben.receive_until("event"))["kind"] for _ in range(3)]
        assert kinds == ["say", "away", "back"]

        # The seat works: Ben's next words arrive, after everything that came before.
        await ben.send(t="say", text="and one more thing")
        await until(pilot, lambda: room.room_log[-1].text == "and one more thing")
        assert room.query_one(Transcript).seqs == list(range(1, len(room.room_log) + 1))
    await ben.close()


async def test_the_welcome_screen_offers_the_saved_session_first(server_url: str) -> None:
    """Plain `fireside` with a saved seat leads with 'Resume your session with Ben'; it works."""
    saved, ben = await a_session_left_open(server_url)
    app = FiresideApp(Entry(server_url, "Ana"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        offers = app.screen.query_one(ResumeOffers)
        [offer] = offers.query(Button)
        assert str(offer.label) == f"Resume your session with Ben (room {saved.code})"
        assert app.focused is offer
        await pilot.press("enter")
        await until(pilot, lambda: in_room(app))
        room = session_of(app)
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.BACK)
        assert any(e.text == "what I wanted to say" for e in room.room_log)
    await ben.close()


async def test_a_stale_seat_is_forgotten_with_one_sentence(server_url: str) -> None:
    """A seat whose token the server refuses, or whose room it lacks, is removed, said once."""
    ana = await WireMember.open(server_url)
    await ana.send(t="create", name="Ana")
    code = (await ana.receive_until("joined"))["code"]
    shelf = SeatShelf.default()
    wrong_token = SavedSeat(server_url, code, Seat.A, "x" * 22, "Ana")
    no_room = SavedSeat(server_url, "ZZZZZ-ZZZZZ", Seat.B, "y" * 22, "Ana", partner="Ben")
    shelf.save(no_room)
    shelf.save(wrong_token)

    app = FiresideApp(Entry(server_url, "Ana"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for stale in (wrong_token, no_room):
            offers = app.screen.query_one(ResumeOffers)
            assert offers.seats[0] == stale
            await pilot.click(offers.query(Button).first())
            await until(pilot, lambda: isinstance(app.screen, WelcomeScreen) and app.screen.problem)
            assert isinstance(app.screen, WelcomeScreen)
            assert app.screen.problem == (
                f"The server no longer has your seat in room {stale.code}, "
                "so this saved session is forgotten."
            )
            assert stale not in shelf.all()
            app.screen.show_problem("")
        assert not app.screen.query_one(ResumeOffers).display
    await ana.close()


async def test_an_unreachable_server_keeps_the_saved_seat() -> None:
    """Resuming while the server is down says it could not be reached and keeps the seat."""
    url = f"ws://127.0.0.1:{free_port()}"
    seat = SavedSeat(url, "K7M2Q-X9P4R", Seat.A, "t" * 22, "Ana", partner="Ben")
    SeatShelf.default().save(seat)
    app = FiresideApp(Entry.resuming(seat), enter_now=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WelcomeScreen) and app.screen.problem)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.screen.problem.startswith(f"Could not reach the server at {url}.")
        assert app.screen.query_one(ResumeOffers).seats == [seat]
    assert SeatShelf.default().all() == [seat]


async def test_a_hosted_room_keeps_no_seat(server_url: str) -> None:
    """`fireside host`'s room dies with its window, so nothing is offered for it later."""
    app = FiresideApp(Entry(server_url, "Ana"), enter_now=True, keep_seats=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: in_room(app))
        await pilot.pause(0.1)
    assert seat_files() == []
