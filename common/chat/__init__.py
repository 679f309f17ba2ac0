"""Chat turns: the API models, the pure session logic and the turn service."""
