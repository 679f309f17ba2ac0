"""Session state: the context window, the running summary and expiry (pure)."""
