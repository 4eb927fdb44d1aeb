"""Benchmarks: the server against a bare websockets relay, and the client's start-up."""
