"""The order in which an incoming frame is checked, so that the first error that applies wins.

docs/protocol.md, Error codes: `bad_frame`, `unknown_type`, `in_room` /
`not_in_room`, `ended`, `listening`, `bad_field`, `wrong_phase`.
"""

from shared.codec import decode_request
from shared.errors import ErrorCode, Rejected
from shared.messages import LOBBY_TYPES, ClientMessage, message_type, parse_fields, request_id
from shared.seats import Seat
from shared.session import Session


def admit(frame: bytes, member: tuple[Session, Seat] | None) -> ClientMessage:
    """Decode and check `frame` from a connection (seated in `member`, or not in a room yet).

    Everything up to `bad_field` is checked here; `wrong_phase` is left to
    `Session.apply`, and `no_room`, `room_full` and `bad_token` to the room registry.
    Every rejection carries the message's `id` as `re` when it had a valid one.
    """
    raw = decode_request(frame)
    re = request_id(raw)
    try:
        kind = message_type(raw)
        if member is None and kind not in LOBBY_TYPES:
            raise Rejected(ErrorCode.NOT_IN_ROOM, "join or create a room first")
        if member is not None and kind in LOBBY_TYPES:
            raise Rejected(ErrorCode.IN_ROOM, "this connection is already in a room")
        if member is not None:
            session, seat = member
            session.gate(seat, kind)
        return parse_fields(kind, raw)
    except Rejected as rejection:
        raise rejection.with_re(re) from None
