"""The room as one person sees it: the server's state, plus which seat is theirs."""

from collections.abc import Mapping
from dataclasses import dataclass

from shared.events import RoomState
from shared.seats import Seat

UNNAMED_PARTNER = "your partner"


@dataclass(frozen=True)
class Outlook:
    """What the header, banners and prompts need to describe the room to this person."""

    state: RoomState
    me: Seat
    code: str
    names: Mapping[Seat, str | None]
    """The names from the opened `hello`s; the server's state holds only their boxes."""

    @property
    def partner(self) -> Seat:
        return self.me.partner

    @property
    def partner_name(self) -> str:
        """The partner's name as they typed it: show it only as plain text."""
        return self.names.get(self.partner) or UNNAMED_PARTNER

    @property
    def partner_online(self) -> bool:
        return bool(self.state.online.get(self.partner))

    @property
    def listening(self) -> bool:
        return self.state.listening(self.me)

    @property
    def holds_floor(self) -> bool:
        return self.state.floor is self.me
