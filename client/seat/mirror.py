"""The room as this seat knows it: one `Session`, the opened log, the ticket back, the secrets.

The room link feeds it what the server sends and the screen reads it: there is no
second copy of the room to keep in step. Sam (client/demo/partner.py) drives one too.
"""

from collections.abc import Iterable, Sequence

from client.seat.opened import Opened
from client.seat.sealed import SealedRoom
from client.seat.ticket import SeatTicket
from shared.crypto.pairing import RoomKey
from shared.events import Event, Joined
from shared.messages import MessageType
from shared.seats import Phase, Seat
from shared.session import Session


class RoomMirror:
    """One seat's view of its room, built only from the server's log, in `seq` order."""

    def __init__(
        self, name: str, *, words: Sequence[str] = (), saved_key: str | None = None
    ) -> None:
        self.name = name
        """Our name, sealed in `hello` once the pairing matched."""
        self.words = tuple(words)
        """The invite's words, the pairing's password; they never leave this process."""
        self.saved_key = saved_key
        """`RoomKey.saved()` of a seat kept on disk: a resumed window pairs no more."""
        self.room = Session()
        """The room after the last event taken: what this seat may do now."""
        self.log: list[Opened] = []
        """Every event taken, once each, in `seq` order, opened: what the transcript shows."""
        self.ticket: SeatTicket | None = None
        """The seat, from the first `joined` on: what a resume takes back."""
        self.secrets: SealedRoom | None = None
        """The pairing and the keys, from the first `joined` on."""

    @property
    def me(self) -> Seat | None:
        return self.ticket.seat if self.ticket is not None else None

    @property
    def names(self) -> dict[Seat, str | None]:
        """Each seat's name, from its opened `hello`."""
        return dict(self.secrets.names) if self.secrets is not None else dict.fromkeys(Seat)

    @property
    def ended(self) -> bool:
        return self.room.phase is Phase.ENDED

    def seat(self, joined: Joined) -> None:
        """A seat given (`create`, `join`) or given back (`resume`): keep what was seen.

        A `resync` means what was seen is not this log (docs/protocol.md, Drops, resume and
        leave): the opened log, the room and where the boxes stood are forgotten, and the
        whole log that came with it is taken again from seq 1, as a fresh window would.

        ValueError for a room code no pairing can use: only a server that breaks the
        contract sends one.
        """
        if joined.resync:
            self.room = Session(mode=joined.mode)
            self.log = []
            if self.secrets is not None:
                self.secrets.forget_log(self.room)
        # Before any event is observed: a letters room follows its letter from the first one.
        self.room.mode = joined.mode
        last_seq = self.ticket.last_seq if self.ticket is not None and not joined.resync else 0
        self.ticket = SeatTicket(joined.code, joined.seat, joined.token, last_seq, joined.epoch)
        if self.secrets is None:
            key = None
            if self.saved_key is not None:
                key = RoomKey.from_saved(joined.code, self.saved_key)
            self.secrets = SealedRoom(
                joined.code, joined.seat, self.name, self.room, words=self.words, key=key
            )
        self.secrets.connected()

    def fresh(self, events: Iterable[Event]) -> list[Event]:
        """The events not taken before, in order: a resume never doubles the log."""
        assert self.ticket is not None, "events before a seat"
        return self.ticket.take_fresh(events)

    def take(self, event: Event) -> Opened:
        """Follow the room through `event` and open it (Tampered, CannotPair: see SealedRoom)."""
        assert self.secrets is not None, "events before a seat"
        self.room.observe(event)
        opened = self.secrets.read(event)
        self.log.append(opened)
        return opened

    def may(self, kind: MessageType) -> bool:
        """Whether this seat may send `kind` now, by the room's rules."""
        return self.me is not None and self.room.may(self.me, kind)

    def may_after(self, coming: Sequence[MessageType], kind: MessageType) -> bool:
        """Whether `kind` may go right behind `coming`, once those are in (Session.may_after)."""
        return self.me is not None and self.room.may_after(self.me, coming, kind)

    @property
    def on_its_way(self) -> tuple[MessageType, ...]:
        """Our sealed messages sent and not yet back in the log: the room does not know them."""
        return self.secrets.on_its_way if self.secrets is not None else ()
