"""`fireside-server`: run a room server from the command line."""

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs

from server.app import cannot_listen, serve_until_signalled
from server.check import check
from server.config import ServerConfig
from server.doorway import raise_open_files
from server.logs import LOG_FORMATS, configure_logging
from server.metrics import MetricsAddressError
from server.storage import new_epochs
from server.store import StoreError
from server.tls import CertificateError
from shared.version import VersionAction

DATABASE_URL_ENV = "FIRESIDE_DATABASE_URL"
"""Where `--data` comes from when it is not given: docs/deploy.md, Several servers."""
_DATA_DIR = platformdirs.user_data_dir("fireside-server", appauthor=False)

EXIT_CANNOT_LISTEN = 2


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535")
    return port


def _seconds(text: str) -> float:
    seconds = float(text)
    if not seconds > 0:
        raise argparse.ArgumentTypeError("give a number of seconds above 0")
    return seconds


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = ServerConfig()
    parser = argparse.ArgumentParser(
        prog="fireside-server",
        description=(
            "Run a Fireside room server: two people per room, speaking fireside.2 "
            "(end-to-end encrypted: the server relays sealed bytes it cannot read)."
        ),
    )
    parser.add_argument("--version", action=VersionAction)
    parser.add_argument(
        "--host",
        default=defaults.host,
        help="address to listen on; 0.0.0.0 for every interface (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=defaults.port,
        help="port to listen on; 0 for any free port (default: %(default)s)",
    )
    parser.add_argument(
        "--room-ttl",
        type=_seconds,
        default=defaults.room_ttl,
        metavar="SECONDS",
        help="remove a room after this many seconds without activity (default: %(default)d)",
    )
    parser.add_argument(
        "--letters-ttl",
        type=_seconds,
        default=defaults.letters_ttl,
        metavar="SECONDS",
        help="remove a letters room after this many seconds without activity; once ended, it "
        "lasts --room-ttl (default: %(default)d, 365 days)",
    )
    parser.add_argument(
        "--data",
        "--store",
        # From the environment too: a database URL with a password stays out of `ps`.
        default=os.environ.get(DATABASE_URL_ENV) or _DATA_DIR,
        metavar="DIR",
        help="keep rooms, seats and what people wrote in DIR/fireside.sqlite3 (made 0700, the "
        "file 0600), so a restart loses nothing; a postgresql:// URL keeps them in that "
        "database instead, which several servers may share; :memory: keeps them in memory only "
        f"(default: ${DATABASE_URL_ENV} if set, else {_DATA_DIR})",
    )
    parser.add_argument(
        "--trust-proxy",
        action="store_true",
        help="behind a reverse proxy: limit clients by the address the proxy puts last in "
        "X-Forwarded-For (never use this without a proxy that sets it)",
    )
    # The flag's first name, kept working for existing service files.
    parser.add_argument(
        "--trust-forwarded-for", dest="trust_proxy", action="store_true", help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--tls-cert",
        type=Path,
        metavar="PEM",
        help="serve wss:// with this certificate chain (needs --tls-key)",
    )
    parser.add_argument(
        "--tls-key",
        type=Path,
        metavar="PEM",
        help="the unencrypted private key of --tls-cert",
    )
    parser.add_argument(
        "--metrics-port",
        type=_port,
        metavar="PORT",
        help="serve Prometheus metrics over HTTP on this port, 0 for any free one; never the "
        "websocket port, which faces the internet (default: no metrics)",
    )
    parser.add_argument(
        "--metrics-host",
        default=defaults.metrics_host,
        help="address the metrics listen on; keep it off the internet (default: %(default)s)",
    )
    one_shot = parser.add_mutually_exclusive_group()
    one_shot.add_argument(
        "--check",
        action="store_true",
        help="read every room in --data and check it, then exit without serving: prints how "
        "many rooms and events it holds and its size on disk (never a code or a word), exit 0 "
        "when sound and 2 with one sentence when not; changes nothing, so it may run beside "
        "a server on the same data, or on a copy of a backup (docs/deploy.md)",
    )
    one_shot.add_argument(
        "--new-epochs",
        action="store_true",
        help="give every room in --data a new epoch and exit, without serving: run it after "
        "restoring a backup, so that clients that saw what the backup lacks take the whole "
        "log again instead of going on from a place that is not in it (docs/deploy.md)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="how much to log on stderr (default: %(default)s)",
    )
    parser.add_argument(
        "--log-format",
        default="text",
        choices=LOG_FORMATS,
        help="one line per event, as text or as JSON (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("give --tls-cert and --tls-key together")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run until SIGTERM or SIGINT; exit 2 with one sentence when the port, TLS or data fail."""
    args = parse_args(argv)
    configure_logging(args.log_level, args.log_format)
    if args.check:
        _one_shot(lambda: check(args.data).sentence())
        return
    if args.new_epochs:
        _one_shot(lambda: f"{new_epochs(args.data)} room(s) have a new epoch.")
        return
    raise_open_files()
    config = ServerConfig(
        host=args.host,
        port=args.port,
        room_ttl=args.room_ttl,
        letters_ttl=args.letters_ttl,
        data=args.data,
        trust_forwarded_for=args.trust_proxy,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        metrics_port=args.metrics_port,
        metrics_host=args.metrics_host,
    )
    try:
        asyncio.run(serve_until_signalled(config))
    except CertificateError as exc:
        print(f"fireside-server: {exc}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_LISTEN)
    except StoreError as exc:
        print(f"fireside-server: {exc}.", file=sys.stderr)
        sys.exit(EXIT_CANNOT_LISTEN)
    except MetricsAddressError as exc:
        port = config.metrics_port or 0
        sentence = cannot_listen(config.metrics_host, port, exc.cause, flag="--metrics-port")
        print(f"fireside-server: {sentence}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_LISTEN)
    except OSError as exc:
        print(f"fireside-server: {cannot_listen(config.host, config.port, exc)}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_LISTEN)
    except KeyboardInterrupt:
        pass


def _one_shot(run: Callable[[], str]) -> None:
    """`--check` or `--new-epochs`: what `run` says on stdout, or its StoreError on stderr and
    exit 2; neither ever names a room (a code lets one in)."""
    try:
        said = run()
    except StoreError as exc:
        print(f"fireside-server: {exc}.", file=sys.stderr)
        sys.exit(EXIT_CANNOT_LISTEN)
    print(f"fireside-server: {said}")
