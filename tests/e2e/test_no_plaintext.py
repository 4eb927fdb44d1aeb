"""What the server holds, logs and relays for a whole session contains nothing a person typed."""

import secrets
from pathlib import Path

from server.app import start_server
from server.config import ServerConfig
from shared.crypto.invite import parse_invite
from shared.messages import MessageType
from tests.e2e.conftest import Logs
from tests.e2e.partner import Partner, partner
from tests.e2e.relay import relay

MARK = f"Qz{secrets.token_hex(6)}"
"""In every name, question, card, answer and reflection: found anywhere, a word leaked."""


def encodings(secret: str) -> list[bytes]:
    """`secret` as the bytes a leak could take: UTF-8 and both orders of UTF-16."""
    return [secret.encode(), secret.encode("utf-16-le"), secret.encode("utf-16-be")]


def leaks(secret: str, where: dict[str, bytes]) -> list[str]:
    """The names of the places whose bytes hold `secret` in any of its encodings."""
    return [name for name, data in where.items() if any(e in data for e in encodings(secret))]


def files(directory: Path) -> dict[str, bytes]:
    """Every file in the server's data directory, the database and its -wal among them."""
    return {path.name: path.read_bytes() for path in directory.iterdir() if path.is_file()}


async def play_a_round(ana: Partner, ben: Partner) -> None:
    """Pairing, then round 1 in full with two says, `more` and two reflections, and a nod."""
    await ben.join(await ana.create())
    await ana.until(lambda: len(ana.names) == 2, "both names")
    await ben.until(lambda: len(ben.names) == 2, "both names")
    await ana.act(MessageType.ASK, text=f"What made you smile, {MARK}?", card=f"warm-{MARK}")
    await ana.act(MessageType.NOD, kind="time")
    await ben.send({"t": "typing", "on": True})
    await ben.act(MessageType.SAY, text=f"My sister called. {MARK}")
    await ben.act(MessageType.SAY, text=f"We laughed\nabout the tent. {MARK}")
    await ben.act(MessageType.DONE)
    await ana.act(MessageType.REFLECT, text=f"Her call made you laugh. {MARK}")
    await ben.act(MessageType.MORE)
    await ben.act(MessageType.SAY, text=f"And I miss her. {MARK} 🔥")
    await ben.act(MessageType.DONE)
    await ana.act(MessageType.REFLECT, text=f"You miss her, too. {MARK}")
    last = await ben.act(MessageType.CONFIRM)
    await ana.until(lambda: ana.last_seq >= last.seq, "the confirm")


async def test_no_word_anyone_typed_reaches_the_server(tmp_path: Path, logs: Logs) -> None:
    """Names, question, card, answers and reflections are in no frame, database file or log line."""
    data = tmp_path / "data"
    data.mkdir()
    running = await start_server(ServerConfig(port=0, data=str(data)))
    try:
        async with (
            relay(running.port) as wire,
            partner(wire.port, f"Ana {MARK}") as ana,
            partner(wire.port, f"Ben {MARK}") as ben,
        ):
            await play_a_round(ana, ben)
            while_running = files(data)
        invite_words = "-".join(parse_invite(ana.invite).words)
    finally:
        await running.close()
    after = files(data)

    # The words went from Ana to Ben, so a missing leak is not a missing session.
    said = [value for value in ben.texts() if MARK in value]
    assert len(said) == 9, ben.texts()
    assert ben.texts() == ana.texts()
    assert any(name.endswith("-wal") for name in while_running), sorted(while_running)
    assert sum(map(len, after.values())) > 0
    assert len(wire.frames) > 40
    assert "room" in logs.text.getvalue()
    assert '"room"' in logs.json.getvalue()

    assert ana.key is not None
    frames = {f"frame {n} {f.way} {f.connection}": f.data for n, f in enumerate(wire.frames)}
    places = {
        **{f"{name} while running": blob for name, blob in while_running.items()},
        **{f"{name} after stopping": blob for name, blob in after.items()},
        **frames,
        "text log": logs.text.getvalue().encode(),
        "json log": logs.json.getvalue().encode(),
    }
    assert leaks(MARK, places) == []
    assert leaks(invite_words, places) == []
    assert not [name for name, blob in places.items() if ana.key.secret in blob]
    assert leaks(ana.key.saved(), places) == []
