"""What the room's maker shares with their partner: the invite and the exact command to join."""

from rich.text import Text
from textual.widgets import Static


class InviteCard(Static):
    """The invite, and one `fireside join` command per address the partner might reach.

    The invite's words are the pairing's password: they travel from this
    screen to the partner by voice or message, never through the server.
    """

    def show(self, invite: str, servers: tuple[str, ...], command: str = "fireside join") -> None:
        """`command` is how the partner joins: `fireside letters join` for a letters room."""
        lines = Text.assemble(("Invite: ", "bold"), (invite, "bold"), "\n")
        lines.append("Your partner joins with:\n")
        # Two lines joined by a shell continuation: pasted whole it is still one command,
        # and at 80 columns nothing wraps in the middle of the address.
        lines.append(
            "\n".join(f"  {command} {invite} \\\n    --server {server}" for server in servers)
        )
        self.update(lines)
