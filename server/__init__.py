"""The Fireside room server: rooms, limits and a thin websocket layer over the shared rules."""
