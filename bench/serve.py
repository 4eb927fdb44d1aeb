"""The Fireside server as the benchmark runs it: `fireside-server`'s own code, limits raised.

Every generated client comes from 127.0.0.1, and the peak run sends faster
than a person types, so the limits that keep one client from hurting the
others (connections and rooms per address, messages per second) are raised
here. They are still checked on every message, so their cost is measured.
"""

import argparse
import asyncio

from server.app import serve_until_signalled
from server.config import Limits, ServerConfig
from server.doorway import raise_open_files
from server.logs import configure_logging

BENCH_LIMITS = Limits(
    message_burst=100_000,
    messages_per_second=100_000.0,
    connections_per_address=1_000_000,
    rooms_per_address=1_000_000,
    rooms_per_address_per_second=1_000_000.0,
    rooms_per_address_per_ttl=1_000_000,
    bytes_per_address=1 << 40,
    bytes_per_address_per_second=float(1 << 40),
    max_total_log_bytes=64 * 1024**3,
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", required=True, help="a directory, or :memory:")
    args = parser.parse_args()
    raise_open_files()
    configure_logging("info", "text")
    config = ServerConfig(host=args.host, port=args.port, data=args.data, limits=BENCH_LIMITS)
    asyncio.run(serve_until_signalled(config))


if __name__ == "__main__":
    main()
