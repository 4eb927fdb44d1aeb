"""The server process dies mid-round (SIGKILL) or is stopped (SIGTERM) and comes back on the
same data: both windows, paired, say they are reconnecting, resume, open the whole transcript
again and finish the round whole."""

import asyncio
import signal
from functools import partial
from pathlib import Path

import pytest
from textual.message import Message

from client.app import FiresideApp
from client.entry import Entry
from client.messages import LinkDown, Seated
from client.saved_seats import SeatShelf
from client.screens.session import SessionScreen
from client.widgets.composer import Composer
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript
from shared.crypto.boxes import Opener
from shared.events import EventKind
from shared.seats import Phase, Seat
from tests.client.drive import invite_of, session_of, until
from tests.faults.rounds import PAIRING, PRESENCE, STEPS, replay
from tests.faults.test_slow_reader import opened_texts
from tests.server_process import server_process
from tests.timing import seconds

SIZE = (100, 30)
RECONNECTING = "Connection lost — reconnecting…"


def resumed(seen: list[Message]) -> bool:
    """Whether the link was seated again after a drop."""
    return any(isinstance(m, Seated) and m.resumed for m in seen)


def status_starts(room: SessionScreen, start: str) -> bool:
    """Whether the window's status line starts with `start`."""
    return room.query_one(StatusLine).sentence.startswith(start)


def both_online(room: SessionScreen) -> bool:
    """Whether the window shows both members online."""
    return room.room.online == {Seat.A: True, Seat.B: True}


def transcript(room: SessionScreen) -> list[int]:
    """The seqs the window shows, in order."""
    return room.query_one(Transcript).seqs


def logged(room: SessionScreen) -> list[int]:
    """The seqs the window opened, in order."""
    return [opened.seq for opened in room.room_log]


def shown_alike(one: SessionScreen, other: SessionScreen) -> bool:
    """Whether both windows show the same entries after the pairing."""
    return after_pairing(one) == after_pairing(other)


def after_pairing(room: SessionScreen) -> list[int]:
    """The seqs the window shows after the pairing, comings and goings aside: each window
    tells of its partner's `hello` and return alone, and both show the rest alike."""
    paired = max((o.seq for o in room.room_log if o.kind in PAIRING), default=0)
    presence = {o.seq for o in room.room_log if o.kind in PRESENCE}
    return [seq for seq in transcript(room) if seq > paired and seq not in presence]


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
async def test_both_windows_resume_after_the_server_restarts_mid_round(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """Killed or stopped mid-answer and restarted on the same data and port: both windows show
    'reconnecting', come back with the same complete transcript, and finish the round."""
    data = tmp_path / "data"
    ana_seen: list[Message] = []
    ben_seen: list[Message] = []
    async with server_process("--data", str(data)) as first:
        port = first.port
        url = f"ws://127.0.0.1:{port}"
        ana = FiresideApp(Entry(url, "Ana"), enter_now=True)
        async with ana.run_test(size=SIZE, message_hook=ana_seen.append) as ana_pilot:
            invite = await invite_of(ana_pilot, ana)
            ben = FiresideApp(Entry.joining(url, "Ben", invite), enter_now=True)
            async with ben.run_test(size=SIZE, message_hook=ben_seen.append) as ben_pilot:
                ana_room, ben_room = session_of(ana), session_of(ben)
                # The real apps pair by themselves: pake, verify, hello from each, then round 1.
                await until(ben_pilot, lambda: ben_room.room.phase is Phase.ASKING)
                await until(ana_pilot, lambda: ana_room.room.phase is Phase.ASKING)
                assert ana_room.names == ben_room.names == {Seat.A: "Ana", Seat.B: "Ben"}

                # Mid-round: Ana asks, Ben starts answering.
                await ana_pilot.press("f8")
                await until(ben_pilot, lambda: ben_room.room.phase is Phase.SHARING)
                await ben_pilot.press(*"before the crash", "ctrl+s")
                await until(ana_pilot, lambda: ana_room.room_log[-1].text == "before the crash")
                before = list(ana_room.room_log)
                assert [e.seq for e in before] == list(range(1, len(before) + 1))
                pairing = [(e.kind, e.by) for e in before if e.kind in PAIRING]
                assert sorted(pairing) == sorted((k, s) for k in STEPS for s in Seat)

                first.process.send_signal(stop)
                await asyncio.wait_for(first.process.wait(), seconds(10))
                for pilot, room in ((ana_pilot, ana_room), (ben_pilot, ben_room)):
                    await until(pilot, partial(status_starts, room, RECONNECTING))
                assert any(isinstance(m, LinkDown) for m in ana_seen)
                assert any(isinstance(m, LinkDown) for m in ben_seen)

                async with server_process("--data", str(data), port=port) as again:
                    assert again.port == port
                    await until(ana_pilot, lambda: resumed(ana_seen), within=15)
                    await until(ben_pilot, lambda: resumed(ben_seen), within=15)
                    for pilot, room in ((ana_pilot, ana_room), (ben_pilot, ben_room)):
                        await until(pilot, partial(both_online, room), within=5)
                        assert room.query_one(StatusLine).sentence == "Connected again."

                    # Same transcript on both sides, numbered 1..N: nothing lost, nothing twice.
                    await until(ana_pilot, lambda: logged(ana_room) == logged(ben_room))
                    await until(
                        ana_pilot, lambda: after_pairing(ana_room) == after_pairing(ben_room)
                    )
                    seqs = logged(ana_room)
                    assert seqs == list(range(1, len(seqs) + 1))
                    assert set(transcript(ana_room)) <= set(seqs)
                    assert ana_room.room_log[: len(before)] == before
                    assert ana_room.room_log == ben_room.room_log
                    presence = [(e.kind, e.by) for e in ana_room.room_log[len(before) :]]
                    assert sorted(presence) == [
                        (EventKind.AWAY, Seat.A),
                        (EventKind.AWAY, Seat.B),
                        (EventKind.BACK, Seat.A),
                        (EventKind.BACK, Seat.B),
                    ]
                    assert ben_room.room.phase is Phase.SHARING
                    # Four comings and goings read as one line: the partner was away.
                    shown = set(transcript(ana_room))
                    folded = [o.kind for o in ana_room.room_log[len(before) :] if o.seq in shown]
                    assert folded == [EventKind.BACK]

                    # The round goes on where it was: more, done, reflect, confirm.
                    ben_room.query_one(Composer).focus()
                    await ben_pilot.press(*"after the restart", "ctrl+s")
                    await until(
                        ana_pilot, lambda: ana_room.room_log[-1].text == "after the restart"
                    )
                    await ben_pilot.press("f3")
                    await until(ana_pilot, lambda: ana_room.room.phase is Phase.REFLECTING)
                    ana_room.query_one(Composer).focus()
                    await ana_pilot.press(*"it held", "ctrl+s")
                    await until(ben_pilot, lambda: ben_room.room.phase is Phase.CONFIRMING)
                    await ben_pilot.press("f5")
                    await until(ana_pilot, lambda: ana_room.room.round == 2)
                    await until(ben_pilot, lambda: ben_room.room.round == 2)

                    assert ana_room.room_log == ben_room.room_log
                    assert after_pairing(ana_room) == after_pairing(ben_room)
                    assert logged(ana_room) == list(range(1, len(ana_room.room_log) + 1))
                    events = [opened.event for opened in ana_room.room_log]
                    replay(events)
                    says = [e.text for e in ana_room.room_log if e.kind is EventKind.SAY]
                    assert says == ["before the crash", "after the restart"]

                    # The room key each window keeps opens the whole transcript again, as shown.
                    key = ana_room.link.key
                    assert key is not None
                    assert key == ben_room.link.key
                    assert {seat.key for seat in SeatShelf.default().all()} == {key.saved()}
                    assert opened_texts(events, Opener(key)) == [
                        e.text for e in ana_room.room_log if e.text is not None
                    ]
