"""`python -m bench.big_log`: seconds from `fireside resume` to the last event of a long log shown.

The room is built by the server's own rules (RoomRegistry, in memory, called
directly: no sockets, so 20,000 events take seconds), written whole into a
SQLite data directory, and served by a real `fireside-server` process on
that directory. Seat `a` is saved on disk as a closed window leaves it, so
`fireside resume` in an 80x24 pseudo-terminal asks for the whole log in one
`joined` reply, opens every box and renders it. The clock runs from the
spawn until the last event's words are on the terminal.

Two logs: `rounds` plays full rounds (ask, three says and a nod, done,
reflect, confirm) with short words, each a transcript entry; `presence` is a
partner whose connection drops and comes back, before the pairing: the
smallest event there is, so the most of them fit in one 16 MiB `joined`.
"""

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.client import Terminal, isolated_environ
from client.saved_seats import SavedSeat, SeatShelf
from client.seat.sealed import CHECKING
from server.room import Membership
from server.rooms import RoomRegistry
from server.storage import SqliteRoomStore
from server.store import MemoryRoomStore, Writes
from shared.crypto.boxes import Sealer
from shared.crypto.invite import draw_words
from shared.crypto.pairing import Pairing, RoomKey
from shared.events import Joined, Reply
from shared.messages import (
    Ask,
    ClientMessage,
    Confirm,
    Done,
    Hello,
    MessageType,
    Nod,
    Pake,
    Reflect,
    Say,
    Verify,
)
from shared.seats import NodKind, Seat

LAST_WORDS = "the-last-word-of-the-log"
"""What the log's last event says: on the terminal only once the whole log is rendered."""

MAX_LOG_BYTES = 15 * 1024 * 1024
"""Under the client's 16 MiB limit on one reply (shared/codec.py, MAX_REPLY)."""


@dataclass
class Inbox:
    """A member's sender: keeps the `joined` reply, drops the rest."""

    joined: Joined | None = None
    replies: list[Reply] = field(default_factory=list)

    def send(self, reply: Reply) -> None:
        if isinstance(reply, Joined):
            self.joined = reply

    def close(self, code: int, reason: str) -> None:
        """Nothing to close: there is no connection."""


@dataclass
class BuiltRoom:
    """What a resumed window needs: the code, seat `a`'s token and the room key."""

    code: str
    token: str
    key: RoomKey
    events: int


class _Builder:
    """Two seats played by direct calls on one registry, the clock moving 1 ms a step."""

    def __init__(self) -> None:
        self.registry = RoomRegistry(
            MemoryRoomStore(), room_ttl_ms=86_400_000, max_rooms=10, max_log_bytes=MAX_LOG_BYTES
        )
        self.now = int(time.time() * 1000)
        self.inboxes = {seat: Inbox() for seat in Seat}
        self.members: dict[Seat, Membership] = {}
        self.a = self.registry.create(self.inboxes[Seat.A], self._tick())
        self.members[Seat.A] = self.a
        joined = self.inboxes[Seat.A].joined
        assert joined is not None
        self.code = joined.code
        self.token = joined.token
        self.members[Seat.B] = self.registry.join(self.inboxes[Seat.B], self.code, self._tick())
        self.sealers: dict[Seat, Sealer] = {}
        self.key: RoomKey | None = None

    @property
    def events(self) -> int:
        return len(self.a.room.log)

    def _tick(self) -> int:
        self.now += 1
        return self.now

    def act(self, seat: Seat, message: ClientMessage) -> None:
        self.registry.act(self.members[seat], message, self._tick())

    def pair(self) -> None:
        words = draw_words()
        pairings = {seat: Pairing(self.code, words) for seat in Seat}
        for seat in Seat:
            self.act(seat, Pake(msg=pairings[seat].message))
        keys = {seat: pairings[seat].finish(pairings[seat.partner].message) for seat in Seat}
        for seat in Seat:
            self.act(seat, Verify(mac=keys[seat].verifier(seat)))
        self.key = keys[Seat.A]
        self.sealers = {seat: Sealer(keys[seat], seat) for seat in Seat}
        for seat in Seat:
            name = "Ana" if seat is Seat.A else "Ben"
            self.act(seat, Hello(box=self._seal(seat, MessageType.HELLO, {"name": name})))

    def play_rounds(self, events: int) -> None:
        """Full rounds until the log holds `events`; the last event says LAST_WORDS."""
        asker = Seat.A
        number = 0
        while self.events < events - 8:
            number += 1
            speaker = asker.partner
            self.act(asker, Ask(box=self._seal(asker, MessageType.ASK, {"text": f"Q{number}?"})))
            for part in range(3):
                self.act(
                    speaker, Say(box=self._seal(speaker, MessageType.SAY, {"text": f"s{part}"}))
                )
                if part == 1:
                    box = self._seal(asker, MessageType.NOD, {"kind": "heart"})
                    self.act(asker, Nod(kind=NodKind.HEART, box=box))
            self.act(speaker, Done(box=self._seal(speaker, MessageType.DONE, {})))
            self.act(asker, Reflect(box=self._seal(asker, MessageType.REFLECT, {"text": "ok"})))
            self.act(speaker, Confirm(box=self._seal(speaker, MessageType.CONFIRM, {})))
            asker = speaker
        self.act(asker, Ask(box=self._seal(asker, MessageType.ASK, {"text": "last?"})))
        speaker = asker.partner
        while self.events < events:
            words = {"text": LAST_WORDS if self.events == events - 1 else "s"}
            self.act(speaker, Say(box=self._seal(speaker, MessageType.SAY, words)))

    def flap(self, events: int) -> None:
        """Seat `b` drops and comes back until the log holds `events`; `a` then says goodbye."""
        token_b = self.inboxes[Seat.B].joined
        assert token_b is not None
        while self.events < events:
            self.registry.drop(self.members[Seat.B], self._tick())
            self.members[Seat.B] = self.registry.resume(
                self.inboxes[Seat.B], self.code, token_b.token, self.events, self._tick()
            )

    def _seal(self, seat: Seat, kind: MessageType, fields: dict[str, str]) -> bytes:
        return self.sealers[seat].seal(kind, fields)


def build_room(data: Path, events: int, kind: str) -> BuiltRoom:
    """A room of `events` events of `kind` (`rounds` or `presence`), kept in `data`."""
    builder = _Builder()
    if kind == "rounds":
        builder.pair()
        builder.play_rounds(events)
        key = builder.key
    else:
        builder.flap(events)
        # A waiting room has no key yet; any key lets the saved seat be read back.
        key = RoomKey(builder.code, bytes(32))
    assert key is not None
    store = SqliteRoomStore.open(data)
    room = builder.a.room
    store.add(room)
    store.write(Writes(added=[room], events=[(room, event) for event in room.log])).result()
    store.close()
    return BuiltRoom(builder.code, builder.token, key, builder.events)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the server did not listen on port {port}")


def measure_resume(python: str, events: int, kind: str, done_text: bytes, timeout: float) -> float:
    """Seconds from spawning `fireside resume` until `done_text` is on its terminal."""
    bin_dir = Path(python).parent
    with tempfile.TemporaryDirectory(prefix="fireside-big-log-") as scratch:
        root = Path(scratch)
        environ = isolated_environ(root)
        built = build_room(root / "server", events, kind)
        port = _free_port()
        url = f"ws://127.0.0.1:{port}"
        seat = SavedSeat(url, built.code, Seat.A, built.token, "Ana", "Ben", key=built.key.saved())
        SeatShelf(Path(environ["FIRESIDE_STATE_DIR"]) / "seats").save(seat)
        server = subprocess.Popen(
            [str(bin_dir / "fireside-server"), "--port", str(port), "--data", str(root / "server")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for_port(port)
            with Terminal([str(bin_dir / "fireside"), "resume"], environ) as app:
                return app.wait_for(done_text, timeout)
        finally:
            server.terminate()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.big_log", description=__doc__)
    parser.add_argument("--python", default=sys.executable, help="the venv's python")
    parser.add_argument("--events", type=int, default=20_000, help="events in the log")
    parser.add_argument("--kind", choices=("rounds", "presence"), default="rounds")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to give up after")
    args = parser.parse_args()
    # A flapping partner shows as one line; the status line's pairing news follows the log.
    done = LAST_WORDS if args.kind == "rounds" else CHECKING
    seconds = measure_resume(args.python, args.events, args.kind, done.encode(), args.timeout)
    print(f"{args.events} {args.kind} events: last event shown after {seconds:.2f} s")


if __name__ == "__main__":
    main()
