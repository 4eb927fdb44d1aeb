"""What client and server share: the session rules and the wire codec, with no I/O."""
