"""End-to-end encryption of fireside.2: invites, pairing, sealed boxes (docs/protocol.md).

Pure: no sockets, no clock, no terminal. The client feeds it bytes from the
log and gets back text it may show, or an exception that stops the session.
"""
