"""Plain HTTP/1.1 requests to the server, for `/healthz` and refused handshakes."""

import asyncio

from tests.timing import seconds


async def http_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """GET `path` on 127.0.0.1:`port`; the status code and body."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), seconds(2))
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), seconds(2))
    writer.close()
    await writer.wait_closed()
    head, _, body = raw.decode().partition("\r\n\r\n")
    status = int(head.split(" ", 2)[1])
    return status, body
