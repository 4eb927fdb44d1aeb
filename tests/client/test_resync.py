"""A seat whose log was restored from a backup takes the whole log again, each event once, and
seals in step after it: docs/protocol.md, Drops, resume and leave. The seat core and the room
registry by direct calls, every reply through its frame."""

import sqlite3
from pathlib import Path

from textual.message import Message

from client.app import FiresideApp
from client.entry import Entry
from client.messages import Seated
from client.seat.mirror import RoomMirror
from client.widgets.transcript import Transcript
from server.app import start_server
from server.config import ServerConfig
from server.room import Membership
from server.rooms import RoomRegistry
from server.storage import DB_FILE, SqliteRoomStore, new_epochs
from shared.codec import decode_reply
from shared.events import Event, EventKind, Joined, Reply, frame_of, parse_reply
from shared.messages import ClientMessage, Done, MessageType
from shared.seats import Seat
from tests.client.drive import ben_answers, until

WORDS = ("orbit", "velvet", "canyon")


class Inbox:
    """One connection's way out, kept as the replies a client would read off the wire."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []

    def send(self, reply: Reply) -> None:
        self.replies.append(parse_reply(decode_reply(frame_of(reply))))

    def close(self, code: int, reason: str) -> None:
        pass


class Window:
    """One seat's client core: its mirror, fed from its inbox, acting through the registry."""

    def __init__(self, name: str) -> None:
        self.mirror = RoomMirror(name, words=WORDS)
        self.inbox = Inbox()
        self.member: Membership | None = None
        self.joined: list[Joined] = []

    def read(self) -> None:
        """Take every reply waiting, as RoomLink does: a `joined` seats, then fresh events."""
        replies, self.inbox.replies = self.inbox.replies, []
        for reply in replies:
            events: tuple[Event, ...] = ()
            if isinstance(reply, Joined):
                self.joined.append(reply)
                self.mirror.seat(reply)
                events = tuple(reply.events)
            elif isinstance(reply, Event):
                events = (reply,)
            for event in self.mirror.fresh(events):
                self.mirror.take(event)

    def resume(self, rooms: RoomRegistry, now: int) -> None:
        ticket = self.mirror.ticket
        assert ticket is not None
        self.inbox = Inbox()
        self.member = rooms.resume(
            self.inbox, ticket.code, ticket.token, ticket.last_seq, now, epoch=ticket.epoch
        )

    def act(self, rooms: RoomRegistry, message: ClientMessage, now: int) -> None:
        assert self.member is not None
        rooms.act(self.member, message, now)

    def say(self, rooms: RoomRegistry, kind: MessageType, text: str, now: int) -> None:
        assert self.mirror.secrets is not None
        self.act(rooms, self.mirror.secrets.seal(kind, {"text": text}), now)

    @property
    def texts(self) -> list[str | None]:
        return [opened.text for opened in self.mirror.log if opened.text is not None]


def registry_on(store: SqliteRoomStore) -> RoomRegistry:
    return RoomRegistry(store, room_ttl_ms=60_000_000, max_rooms=10, max_log_bytes=1 << 20)


def pair_up(rooms: RoomRegistry, ana: Window, ben: Window) -> None:
    """Ana creates, Ben joins, and both pair from the log with the same words."""
    ana.member = rooms.create(ana.inbox, 1_000)
    ana.read()
    assert ana.mirror.ticket is not None
    ben.member = rooms.join(ben.inbox, ana.mirror.ticket.code, 1_000)
    for _ in range(6):
        for window in (ana, ben):
            window.read()
            assert window.mirror.secrets is not None
            for step in window.mirror.secrets.due():
                window.act(rooms, step, 1_000)
    ana.read()
    ben.read()
    assert ana.mirror.names == ben.mirror.names == {Seat.A: "Ana", Seat.B: "Ben"}


def test_a_resync_after_a_restore_takes_the_restored_log_once_and_seals_in_step(
    tmp_path: Path,
) -> None:
    """After a restore and `new_epochs`, each window resumes with its old epoch and a seq the
    restored log reuses for other words: it is sent the whole log, holds exactly that log,
    each event once, without the lost words, and what it seals next opens for the partner."""
    live, restored = tmp_path / "live", tmp_path / "restored"
    store = SqliteRoomStore.open(live)
    rooms = registry_on(store)
    ana, ben = Window("Ana"), Window("Ben")
    pair_up(rooms, ana, ben)
    ana.say(rooms, MessageType.ASK, "What made you smile?", 2_000)
    ana.read()
    ben.read()
    restored.mkdir(mode=0o700)
    with sqlite3.connect(live / DB_FILE) as source, sqlite3.connect(restored / DB_FILE) as copy:
        source.backup(copy)
    ben.say(rooms, MessageType.SAY, "words the backup never held", 3_000)
    ana.read()
    ben.read()
    assert ana.texts == ["What made you smile?", "words the backup never held"]
    old_epoch = store.rooms()[0].epoch
    store.close()

    store = SqliteRoomStore.open(restored)
    try:
        assert store.new_epochs() == 1
        rooms = registry_on(store)
        rooms.recover(4_000)
        ben.resume(rooms, 5_000)
        ben.read()
        ben.say(rooms, MessageType.SAY, "words after the restore", 5_100)
        ben.read()
        ana.resume(rooms, 6_000)
        ana.read()
        (room,) = store.rooms()
        for window in (ana, ben):
            assert (window.joined[-1].resync, window.joined[-1].epoch) == (True, room.epoch)
            assert window.joined[-1].epoch != old_epoch
        ana.read()
        ben.read()
        log = [(event.seq, event.kind) for event in room.log]
        for window in (ana, ben):
            assert [(o.seq, o.kind) for o in window.mirror.log] == log
            assert window.texts == ["What made you smile?", "words after the restore"]
            assert window.mirror.room.state == room.session.state
            ticket = window.mirror.ticket
            assert ticket is not None
            assert (ticket.last_seq, ticket.epoch) == (len(room.log), room.epoch)

        # Sealed in step: Ben's `done` and Ana's reflection take the counters the log gives.
        assert ben.mirror.secrets is not None
        ben.act(rooms, ben.mirror.secrets.seal_move(Done()), 7_000)
        ana.read()
        ana.say(rooms, MessageType.REFLECT, "You smiled after all.", 7_100)
        ana.read()
        ben.read()
        assert ben.mirror.log[-1].kind is EventKind.REFLECT
        assert ben.texts[-1] == "You smiled after all."
        assert ana.mirror.log[-1].text == "You smiled after all."
    finally:
        store.close()


async def test_the_window_shows_the_renewed_log_once_after_a_resync(tmp_path: Path) -> None:
    """A real server stopped, given new epochs and started again on the same port: the window
    resumes with the epoch it held, is sent the whole log, and its transcript shows each
    event of it once instead of adding it below what it showed."""
    data = tmp_path / "data"
    running = await start_server(ServerConfig(port=0, data=str(data)))
    port = running.port
    try:
        seen: list[Message] = []
        ana = FiresideApp(Entry(f"ws://127.0.0.1:{port}", "Ana"), enter_now=True)
        async with ana.run_test(size=(100, 30), message_hook=seen.append) as pilot:
            room, ben = await ben_answers(pilot, ana, "before the restore")
            ticket = room.link.ticket
            assert ticket is not None
            old_epoch = ticket.epoch
            before = room.query_one(Transcript).seqs
            await running.close()
            assert new_epochs(str(data)) == 1
            running = await start_server(ServerConfig(port=port, data=str(data)))
            await until(
                pilot,
                lambda: any(isinstance(m, Seated) and m.joined.resync for m in seen),
                within=10.0,
            )
            await until(pilot, lambda: room.room_log[-1].kind is EventKind.BACK)
            seqs = room.query_one(Transcript).seqs
            assert len(set(seqs)) == len(seqs) > 0
            assert seqs[: len(before)] == before
            assert [o.seq for o in room.room_log] == list(range(1, len(room.room_log) + 1))
            texts = [o.text for o in room.room_log if o.kind is EventKind.SAY]
            assert texts == ["before the restore"]
            assert ticket is not room.link.ticket
            assert room.link.ticket is not None
            assert room.link.ticket.epoch not in (None, old_epoch)
            await ben.close()
    finally:
        await running.close()
