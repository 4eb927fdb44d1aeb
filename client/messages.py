"""What the room link tells the screen: app-level messages posted from the network worker."""

from dataclasses import dataclass

from textual.message import Message

from client.seat.opened import Opened
from shared.crypto.pairing import RoomKey
from shared.events import ErrorReply, Joined


@dataclass
class Seated(Message):
    """The server gave us a seat (`create`, `join`), or gave it back (`resume`)."""

    joined: Joined
    resumed: bool


@dataclass
class RoomEventsArrived(Message):
    """Events not seen before, in `seq` order, their boxes opened: both members see the same ones.

    One reply's worth: a live event alone, or the whole log of a `joined`.
    """

    opened: tuple[Opened, ...]


@dataclass
class Paired(Message):
    """The pairing gave this seat its room key: keep it with the seat, so a restart can go on."""

    key: RoomKey


@dataclass
class PairingNews(Message):
    """How the pairing is going, in one calm sentence for the status line."""

    sentence: str


@dataclass
class PartnerTyping(Message):
    """The partner holding the floor started or stopped writing."""

    on: bool


@dataclass
class Refused(Message):
    """The server rejected something we sent; nothing changed."""

    error: ErrorReply


@dataclass
class LinkDown(Message):
    """The connection dropped and the link is trying to come back, next in `retry_in` seconds."""

    sentence: str
    retry_in: float = 0.0


@dataclass
class LinkClosed(Message):
    """The link has stopped for good: the seat went elsewhere or the room is gone."""

    sentence: str
    seat_gone: bool = False
    """The server refused the seat's token or knows no such room: forget the saved seat."""


@dataclass
class CouldNotEnter(Message):
    """The first attempt failed (unreachable server, wrong code, full room): one sentence why."""

    sentence: str
    seat_gone: bool = False
    """A saved seat was refused (`bad_token`, `no_room`): it cannot come back, forget it."""
