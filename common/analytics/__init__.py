"""Analytics: events into BigQuery (row mapping, the sink), views and daily aggregates."""
