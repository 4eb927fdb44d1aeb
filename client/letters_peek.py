"""One `peek` of the letters room: where it stands, without taking the seat or recording
anything (docs/protocol.md, Letters, Peeking). Plain websockets: `--status` loads no Textual."""

import asyncio

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from client.saved_seats import SavedSeat
from shared.codec import MAX_REPLY, decode_reply, encode
from shared.errors import Rejected
from shared.events import ErrorReply, Joined, MalformedReply, parse_reply
from shared.messages import Peek
from shared.wire import PROTOCOL


async def peek(seat: SavedSeat, *, within: float) -> Joined | ErrorReply | str:
    """The `joined` a `peek` of `seat` is answered with, the whole log in it; the server's
    refusal (`no_room` once the letters are gone); or one sentence saying why there is none."""
    unreachable = f"could not reach the letters server at {seat.server}."
    try:
        async with asyncio.timeout(within):
            async with connect(
                seat.server,
                subprotocols=[Subprotocol(PROTOCOL)],
                max_size=MAX_REPLY,
                compression=None,
                proxy=None,
            ) as websocket:
                message = Peek(code=seat.code, token=seat.token, after=0)
                await websocket.send(encode(message.to_wire()))
                async for frame in websocket:
                    if isinstance(frame, str):
                        continue
                    reply = parse_reply(decode_reply(frame))
                    if isinstance(reply, Joined):
                        return reply
                    if isinstance(reply, ErrorReply):
                        return reply
    except TimeoutError:
        return f"the letters server at {seat.server} did not answer in time."
    except (OSError, InvalidHandshake, InvalidURI, ConnectionClosed):
        return unreachable
    except (Rejected, MalformedReply):
        return f"the server at {seat.server} does not speak Fireside's protocol."
    return unreachable
