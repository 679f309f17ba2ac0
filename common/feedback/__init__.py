"""Feedback on turns: thumbs up/down or 1–5, idempotent per user and turn."""
