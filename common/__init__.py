"""Shared package for every ION Mentoring function: domain code, ports and adapters."""
