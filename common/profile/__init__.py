"""The user's profile: settings they control, what the product learned, export and erasure."""
