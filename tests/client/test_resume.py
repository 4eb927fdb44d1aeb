"""A seat kept on disk comes back after the window closed, with the whole transcript, once."""

import json
import stat
from pathlib import Path

from textual.widgets import Button

from client.app import FiresideApp
from client.decks import WARM_UP
from client.entry import Entry
from client.saved_seats import UNSEALED, SavedSeat, SeatShelf
from client.screens.summary import SummaryScreen
from client.screens.welcome import WelcomeScreen
from client.widgets.resume_offers import ResumeOffers
from client.widgets.status_line import StatusLine
from shared.crypto.pairing import RoomKey
from shared.events import EventKind
from shared.seats import Phase, Seat
from tests.client.drive import (
    WireMember,
    WirePartner,
    ben_answers,
    in_room,
    invite_of,
    paired_partner,
    session_of,
    until,
)
from tests.client.test_entry import free_port

SIZE = (100, 30)
KEY = RoomKey("K7M2Q-X9P4R", bytes(32)).saved()


def seat_files() -> list[Path]:
    return sorted(SeatShelf.default().directory.glob("*.json"))


def only_seat() -> dict[str, object]:
    """The one seat file's JSON."""
    files = seat_files()
    assert len(files) == 1, files
    raw: dict[str, object] = json.loads(files[0].read_text())
    return raw


async def a_session_left_open(server_url: str) -> tuple[SavedSeat, WirePartner]:
    """Ana creates a room, pairs, asks, Ben answers, and Ana's window closes without leaving."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        _, ben = await ben_answers(pilot, ana, "what I wanted to say")
    [saved] = SeatShelf.default().all()
    return saved, ben


async def test_joining_keeps_a_private_seat_until_leaving(server_url: str) -> None:
    """The seat is written 0600 once paired, with K but never the words, and removed on leave."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        invite = await invite_of(pilot, ana)
        room = session_of(ana)
        ticket = room.link.ticket
        assert ticket is not None
        # Before the pairing there is no key, and a seat without one could not be read again.
        await pilot.pause(0.1)
        assert seat_files() == []

        ben = await WirePartner.join(server_url, invite, "Ben")
        await until(pilot, seat_files)
        assert stat.S_IMODE(seat_files()[0].stat().st_mode) == 0o600
        assert stat.S_IMODE(seat_files()[0].parent.stat().st_mode) == 0o700
        assert ben.key is not None
        written = only_seat()
        assert written["key"] == ben.key.saved()
        assert RoomKey.from_saved(room.code, ben.key.saved()).phrase() == ben.key.phrase()
        # Any field but the key, whose base64 may hold a short word by chance ("key" itself
        # is a BIP39 word, and the name of a field).
        kept = json.dumps({k: v for k, v in written.items() if k != "key"})
        for word in invite.split("-")[2:]:
            assert f'"{word}"' not in kept, "a word kept as a value"
            assert f"{word}-" not in kept, "the words kept as the invite"
            assert f"-{word}" not in kept, "the words kept as the invite"
        assert {k: v for k, v in written.items() if k not in ("key", "partner")} == {
            "format": 3,
            "server": server_url,
            "code": room.code,
            "seat": "a",
            "token": ticket.token,
            "name": "Ana",
        }

        await until(pilot, lambda: room.room.phase is Phase.ASKING)
        await pilot.press("f2")
        await ben.until_kind(EventKind.HANDOVER)
        await ben.ask("how are you?")
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.ASK)
        assert only_seat()["partner"] == "Ben"

        await pilot.press("ctrl+q", "ctrl+s")
        await until(pilot, lambda: isinstance(ana.screen, SummaryScreen))
        await pilot.press("enter")
        await until(pilot, lambda: not ana.is_running)
    assert seat_files() == []
    await ben.close()


async def test_a_resumed_seat_shows_the_whole_transcript_once(server_url: str) -> None:
    """After a restart, the saved key opens the whole log again, and new words seal in step."""
    saved, ben = await a_session_left_open(server_url)
    assert saved.seat is Seat.A
    assert saved.partner == "Ben"

    again = FiresideApp(Entry.resuming(saved), enter_now=True)
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: in_room(again))
        room = session_of(again)
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.BACK)
        assert room.me is Seat.A
        assert [o.seq for o in room.room_log] == list(range(1, len(room.room_log) + 1))
        said = [(o.kind, o.text) for o in room.room_log if o.text is not None]
        assert said == [
            (EventKind.ASK, WARM_UP.cards[0].text),
            (EventKind.SAY, "what I wanted to say"),
        ]
        assert room.names == {Seat.A: "Ana", Seat.B: "Ben"}
        assert room.query_one(StatusLine).sentence == "Connected again."
        kinds = [(await ben.next_event()).kind for _ in range(3)]
        assert kinds == [EventKind.SAY, EventKind.AWAY, EventKind.BACK]

        # The seat works: Ben's next words arrive, after everything that came before.
        await ben.say("and one more thing")
        await until(pilot, lambda: room.room_log[-1].text == "and one more thing")
        assert [o.seq for o in room.room_log] == list(range(1, len(room.room_log) + 1))
        # And Ana's sealer starts after her boxes in the log: Ben opens her reflection.
        await ben.send(t="done")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await pilot.press(*"you had more to say", "ctrl+s")
        assert (await ben.until_kind(EventKind.REFLECT)).text == "you had more to say"
        assert session_of(again).check_action("phrase", ()) is True
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


async def test_a_seat_without_a_key_is_forgotten_with_one_sentence(server_url: str) -> None:
    """A fireside.1 seat file has no room key: offered, it is forgotten with a sentence."""
    old = SavedSeat(server_url, "K7M2Q-X9P4R", Seat.A, "t" * 22, "Ana", partner="Ben")
    shelf = SeatShelf.default()
    shelf.save(old)
    raw = only_seat()
    raw.pop("key")
    seat_files()[0].write_text(json.dumps({**raw, "format": 1}))
    [offered] = shelf.all()
    assert not offered.resumable

    app = FiresideApp(Entry(server_url, "Ana"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click(app.screen.query_one(ResumeOffers).query(Button).first())
        await until(pilot, lambda: isinstance(app.screen, WelcomeScreen) and app.screen.problem)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.screen.problem == UNSEALED.format(code="K7M2Q-X9P4R")
        assert not app.screen.query_one(ResumeOffers).display
    assert seat_files() == []


async def test_a_stale_seat_is_forgotten_with_one_sentence(server_url: str) -> None:
    """A seat whose token the server refuses, or whose room it lacks, is removed, said once."""
    ana = await WireMember.open(server_url)
    await ana.send(t="create")
    code = (await ana.receive_until("joined"))["code"]
    shelf = SeatShelf.default()
    key = KEY
    wrong_token = SavedSeat(server_url, code, Seat.A, "x" * 22, "Ana", key=key)
    no_room = SavedSeat(server_url, "ZZZZZ-ZZZZZ", Seat.B, "y" * 22, "Ana", partner="Ben", key=key)
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
    seat = SavedSeat(url, "K7M2Q-X9P4R", Seat.A, "t" * 22, "Ana", partner="Ben", key=KEY)
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
        ben = await paired_partner(pilot, app)
        await pilot.pause(0.1)
    assert seat_files() == []
    await ben.close()
