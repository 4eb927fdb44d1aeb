"""A dropped connection resumes by itself, with the transcript whole and nothing doubled."""

from textual.message import Message

from client.app import FiresideApp
from client.entry import Entry
from client.messages import LinkClosed, LinkDown, Seated
from client.seat.ticket import SeatTicket
from client.widgets.composer import Composer
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript
from shared.events import Event, EventKind, RoomState
from shared.seats import NodKind, Phase, Seat
from tests.client.drive import WireMember, ben_answers, in_room, session_of, until

SIZE = (100, 30)


async def test_a_dropped_connection_resumes_with_the_transcript_whole(server_url: str) -> None:
    """After its socket dies the client resumes its seat, shows each event once, and goes on."""
    seen: list[Message] = []
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE, message_hook=seen.append) as pilot:
        room, ben = await ben_answers(pilot, ana, "before the drop")
        seqs_before = room.query_one(Transcript).seqs

        # Kill the socket under the client, as a network failure would.
        websocket = room.link.websocket
        assert websocket is not None
        websocket.transport.abort()
        await until(pilot, lambda: any(isinstance(m, LinkDown) for m in seen))
        assert "Connection lost — reconnecting…" in [
            m.sentence for m in seen if isinstance(m, LinkDown)
        ]

        # While Ana is away, Ben goes on; she must get it on resume, once.
        await ben.say("while you were away")
        await until(pilot, lambda: any(isinstance(m, Seated) and m.resumed for m in seen))
        await until(pilot, lambda: any(e.text == "while you were away" for e in room.room_log))

        seqs = room.query_one(Transcript).seqs
        assert seqs[: len(seqs_before)] == seqs_before
        assert len(set(seqs)) == len(seqs)
        assert [o.seq for o in room.room_log] == list(range(1, len(room.room_log) + 1))
        texts = [event.text for event in room.room_log if event.kind is EventKind.SAY]
        assert texts == ["before the drop", "while you were away"]
        assert room.query_one(StatusLine).sentence == "Connected again."

        # The resumed link carries new events both ways.
        await ben.say("after you came back")
        await until(pilot, lambda: room.room_log[-1].text == "after you came back")
        assert [o.seq for o in room.room_log] == list(range(1, len(room.room_log) + 1))

        # And the other way: what Ana seals after the drop opens for Ben, counters in step.
        await ben.send(t="done")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await pilot.press(*"also after", "ctrl+s")
        assert (await ben.until_kind(EventKind.REFLECT)).text == "also after"
        await ben.close()


async def test_a_seat_opened_elsewhere_stops_this_window(server_url: str) -> None:
    """When another connection resumes the seat (close 4001), the client says so and stops."""
    seen: list[Message] = []
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await until(pilot, lambda: in_room(ana))
        room = session_of(ana)
        ticket = room.link.ticket
        assert ticket is not None
        elsewhere = await WireMember.open(server_url)
        await elsewhere.send(t="resume", code=ticket.code, token=ticket.token, after=0)
        await elsewhere.receive_until("joined")
        await until(pilot, lambda: any(isinstance(m, LinkClosed) for m in seen))
        assert "opened elsewhere" in room.query_one(StatusLine).sentence
        assert not any(isinstance(m, LinkDown) for m in seen)
        assert room.check_action("nod", ("heart",)) is False
        assert room.query_one(Composer).disabled
        await elsewhere.close()


def test_a_ticket_passes_each_seq_once() -> None:
    """Events at or below the last seq seen are dropped, so a replayed log doubles nothing."""
    state = RoomState(Phase.ASKING, 1, Seat.A, dict.fromkeys(Seat), dict.fromkeys(Seat, True))
    events = [Event(seq, 0, EventKind.NOD, Seat.B, state, nod=NodKind.HEART) for seq in (1, 2, 3)]
    ticket = SeatTicket("ABCDE-FGHIJ", Seat.A, "t" * 22)
    assert [e.seq for e in ticket.take_fresh(events[:2])] == [1, 2]
    assert [e.seq for e in ticket.take_fresh(events)] == [3]
    assert ticket.take_fresh(events) == []
    assert ticket.last_seq == 3
