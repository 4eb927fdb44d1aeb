"""How a person enters a room: which server, under what name, and a code or a seat to resume."""

import getpass
from dataclasses import dataclass

from client.saved_seats import SavedSeat
from shared.fields import NAME_MAX
from shared.messages import Create, Join, Resume

DEFAULT_PORT = 8765
DEFAULT_SERVER = f"ws://127.0.0.1:{DEFAULT_PORT}"


@dataclass(frozen=True)
class Entry:
    """Create a room (no code), join one, or take back a `saved` seat.

    `invite_servers` are shown to the partner.
    """

    server: str
    name: str
    code: str | None = None
    invite_servers: tuple[str, ...] = ()
    saved: SavedSeat | None = None

    @classmethod
    def resuming(cls, saved: SavedSeat) -> "Entry":
        """Back into the room of a seat kept on disk, on its server, under its name."""
        return cls(saved.server, saved.name, saved.code, saved=saved)

    def message(self) -> Create | Join | Resume:
        """The first message on the wire."""
        if self.saved is not None:
            return self.saved.resume_message()
        if self.code is None:
            return Create(name=self.name)
        return Join(code=self.code, name=self.name)

    @property
    def servers_to_share(self) -> tuple[str, ...]:
        """Where the partner should connect: the host's addresses, else the server we used."""
        return self.invite_servers or (self.server,)


def default_name() -> str:
    """The login name, so nobody has to type one; a friendly fallback when there is none."""
    try:
        name = getpass.getuser().strip()
    except (OSError, KeyError):
        name = ""
    return name[:NAME_MAX] or "Friend"
