"""MessagePack framing: one string-keyed map per binary frame, every container limited."""

from collections.abc import Sequence
from typing import Any

import msgpack

from shared.errors import ErrorCode, Rejected

MAX_MESSAGE = 64 * 1024
"""docs/protocol.md, Transport: a client message is at most 64 KiB after reassembly."""

MAX_REPLY = 16 * 1024 * 1024
"""A `joined` reply carries the whole event log, so replies may exceed MAX_MESSAGE."""


def encode(payload: dict[str, Any]) -> bytes:
    """One message as the bytes of a binary frame."""
    return msgpack.packb(payload, use_bin_type=True)


def encode_with_frames(payload: dict[str, Any], key: str, frames: Sequence[bytes]) -> bytes:
    """`payload` with `key` added, an array of messages given as their encoded bytes.

    What `encode` would give for the decoded messages, with the same meaning:
    each frame is a complete MessagePack value, so they are joined as they are.
    """
    packer = msgpack.Packer(use_bin_type=True)
    parts = [packer.pack_map_header(len(payload) + 1)]
    for name, value in payload.items():
        parts += (packer.pack(name), packer.pack(value))
    parts += (packer.pack(key), packer.pack_array_header(len(frames)), *frames)
    return b"".join(parts)


def _unpack(data: bytes, *, max_array: int, max_map: int) -> dict[str, Any]:
    # A fresh unpackb per frame: an Unpacker is never reused after an error.
    try:
        value = msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=True,
            max_str_len=len(data),
            max_bin_len=len(data),
            max_array_len=max_array,
            max_map_len=max_map,
            max_ext_len=0,
        )
    except (ValueError, TypeError, UnicodeDecodeError, msgpack.UnpackException) as exc:
        raise Rejected(ErrorCode.BAD_FRAME, "not a MessagePack map") from exc
    if not isinstance(value, dict):
        raise Rejected(ErrorCode.BAD_FRAME, "not a MessagePack map")
    if not isinstance(value.get("t"), str):
        raise Rejected(ErrorCode.BAD_FRAME, "the map has no string 't'")
    return value


def decode_request(data: bytes) -> dict[str, Any]:
    """A client frame as a map with a string `t`, or `bad_frame`.

    Containers are limited by the frame's own size, not to what a valid
    message holds: a field sent as a list or a map is still a map with a
    string `t`, so it must reach the field rules and be `bad_field`
    (docs/protocol.md, Error codes). A header claiming more entries than the
    frame can hold is still refused at once.
    """
    if len(data) > MAX_MESSAGE:
        raise Rejected(ErrorCode.BAD_FRAME, "the message is larger than 64 KiB")
    value = _unpack(data, max_array=len(data), max_map=len(data) // 2)
    # msgpack keeps the last of a repeated key: fewer keys than the header announced means one
    # came twice. Only this map's keys mean anything; no field is a map (docs/protocol.md, Faults).
    if len(value) != _announced_entries(data):
        raise Rejected(ErrorCode.BAD_FRAME, "a key appears twice in the map")
    return value


def _announced_entries(data: bytes) -> int:
    """How many entries the map header that starts `data` announces: fixmap, map 16 or map 32."""
    head = data[0]
    if head >> 4 == 0x8:
        return head & 0x0F
    width = 2 if head == 0xDE else 4
    return int.from_bytes(data[1 : 1 + width], "big")


def decode_reply(data: bytes) -> dict[str, Any]:
    """A server frame as a map with a string `t`, or `bad_frame`."""
    return _unpack(data, max_array=1_000_000, max_map=64)
