"""Adapters: the only modules that talk to Google clients."""
