"""Built-in TLS: one server-side `SSLContext` from a PEM certificate and key, or one sentence."""

import ssl
from pathlib import Path


class CertificateError(Exception):
    """The certificate or key cannot be used; `str()` is one sentence for the command line."""


def _no_passphrase() -> bytes:
    """Never let OpenSSL prompt on a terminal that a service does not have."""
    return b""


def _check_readable(path: Path, what: str) -> None:
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CertificateError(f"cannot read the TLS {what} {path}: {reason.lower()}.") from None


def _holds_a_certificate(path: Path) -> bool:
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError):
        return False
    return True


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A context for serving `wss://`: TLS 1.2 or newer, the standard library's server defaults."""
    _check_readable(cert, "certificate")
    _check_readable(key, "key")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key, password=_no_passphrase)
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            message = f"the TLS key {key} does not belong to the certificate {cert}."
        elif not _holds_a_certificate(cert):
            message = f"the TLS certificate {cert} is not a PEM certificate."
        else:
            message = f"the TLS key {key} is not an unencrypted PEM private key."
        raise CertificateError(message) from None
    return context
