"""Operators' insights: metrics read from the analytics views, for the API and the dashboard."""
