"""How a person enters a room: which server, under what name, and an invite or a seat to resume."""

import getpass
from dataclasses import dataclass, field

from client.saved_seats import SavedSeat
from shared.crypto.invite import Invite, draw_words, invite_code, parse_invite
from shared.fields import NAME_MAX
from shared.messages import Create, Join, Resume
from shared.seats import Mode


@dataclass(frozen=True)
class Entry:
    """Create a room (no invite), join one with the partner's `invite`, or take back a `saved` seat.

    `invite_servers` are shown to the partner.
    """

    server: str
    name: str
    invite: Invite | None = None
    """The partner's invite when joining: the nameplate goes to the server, the words never do."""
    invite_servers: tuple[str, ...] = ()
    saved: SavedSeat | None = None
    drawn: tuple[str, ...] = field(default_factory=draw_words)
    """The words a new room is paired with, drawn for each entry; the demo passes fixed ones."""
    journal: bool = True
    """Write the session to the journal on this machine (client/journal.py)."""
    mode: Mode = Mode.LIVE
    """The kind of room `create` makes: docs/protocol.md, Letters, Making one."""

    @classmethod
    def joining(cls, server: str, name: str, typed: str) -> "Entry":
        """Into the room of the invite the person `typed`; InviteError if it cannot be read."""
        return cls(server, name, parse_invite(typed))

    @classmethod
    def resuming(cls, saved: SavedSeat) -> "Entry":
        """Back into the room of a seat kept on disk, on its server, under its name."""
        return cls(saved.server, saved.name, saved=saved)

    def message(self) -> Create | Join | Resume:
        """The first message on the wire."""
        if self.saved is not None:
            return self.saved.resume_message()
        if self.invite is None:
            # A live room is made as before, so a server older than letters still takes it.
            return Create(mode=Mode.LETTERS) if self.mode is Mode.LETTERS else Create()
        return Join(code=self.invite.nameplate)

    @property
    def words(self) -> tuple[str, ...]:
        """The pairing's password: the invite's words, or those drawn for a new room.

        None are needed to resume a saved seat, which keeps the room key instead.
        """
        if self.saved is not None:
            return ()
        return self.invite.words if self.invite is not None else self.drawn

    @property
    def typed_invite(self) -> str:
        """The invite as the person gave it, to fill the welcome form in again."""
        if self.invite is None:
            return ""
        return invite_code(self.invite.nameplate, self.invite.words)

    def invite_for(self, nameplate: str) -> str | None:
        """The invite to pass on for a room this window made; None when joining or resuming."""
        if self.invite is not None or self.saved is not None:
            return None
        return invite_code(nameplate, self.drawn)

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
