"""What the host shares with their partner: the room code and the exact command to join."""

from rich.text import Text
from textual.widgets import Static


class InviteCard(Static):
    """The code, and one `fireside join` command per address the partner might reach."""

    def show(self, code: str, servers: tuple[str, ...]) -> None:
        lines = Text.assemble(("Room code: ", "bold"), (code, "bold"), "\n")
        lines.append("Your partner joins with:\n")
        lines.append("\n".join(f"  fireside join {code} --server {server}" for server in servers))
        self.update(lines)
