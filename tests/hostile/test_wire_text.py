"""At the wire: every string field refuses escape sequences, C0/C1 controls and bidi overrides."""

from server.app import RunningServer
from tests.hostile.honest import honest_pair
from tests.server.wire import Member, member

HOSTILE = {
    "CSI colour": "a\x1b[31mred",
    "OSC 8 hyperlink": "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "8-bit CSI": "a\x9b31mred",
    "right-to-left override": "abc\u202egnp.exe",
    "left-to-right isolate": "a\u2066b\u2069",
    "NUL": "a\x00b",
    "DEL": "a\x7fb",
    "carriage return": "over\rwrite",
    "bell": "ding\x07",
}
"""Each a string a partner might send to take over the other's terminal or mislead them."""


async def refused_field(someone: Member, message: dict[str, object], field: str) -> None:
    reply = await someone.request({**message, "id": 7})
    assert (reply["t"], reply["code"], reply["re"]) == ("error", "bad_field", 7), (message, reply)
    assert field in reply["message"], reply


async def test_names_with_controls_or_overrides_are_bad_field(server: RunningServer) -> None:
    """`create` and `join` refuse every hostile name with `bad_field` naming `name`."""
    async with member(server.port) as someone:
        for value in HOSTILE.values():
            await refused_field(someone, {"t": "create", "name": value}, "name")
            await refused_field(
                someone, {"t": "join", "code": "AAAAA-AAAAA", "name": value}, "name"
            )


async def test_texts_and_cards_with_controls_or_overrides_are_bad_field(
    server: RunningServer,
) -> None:
    """`ask` text and card, `say` text and `reflect` text refuse every hostile string; the partner
    hears nothing of them."""
    async with honest_pair(server.port) as pair:
        for value in HOSTILE.values():
            await refused_field(pair.a, {"t": "ask", "text": value}, "text")
            await refused_field(pair.a, {"t": "ask", "text": "Fine?", "card": value}, "card")
        await pair.a.send({"t": "ask", "text": "Fine?"})
        await pair.a.recv(), await pair.b.recv()
        for value in HOSTILE.values():
            await refused_field(pair.b, {"t": "say", "text": value}, "text")
        await pair.b.send({"t": "say", "text": "Yes."})
        await pair.b.send({"t": "done"})
        assert [(await pair.a.recv())["kind"] for _ in range(2)] == ["say", "done"]
        await pair.b.quiet()
        for value in HOSTILE.values():
            await refused_field(pair.a, {"t": "reflect", "text": value}, "text")
        await pair.b.nothing()
