"""The `events` table as declared in events_schema.json, the one file Terraform reads too."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCHEMA_FILE = HERE / "events_schema.json"
VIEWS_DIR = HERE / "views"
# Table functions of a date range (start_day, end_day), which the dashboard's dated metrics read.
FUNCTIONS_DIR = HERE / "functions"
DAILY_DIR = HERE / "daily"

DATASET = "analytics"
TABLE = "events"
PARTITION_FIELD = "occurred_at"  # day partitions (Terraform: time_partitioning DAY)
CLUSTERING = ("type", "user_key")
# The users whose retention is not the default, rewritten by each cleanup run before its
# retention DELETE reads it (common.adapters.bigquery_erasure; Terraform declares it too).
CHOICES_TABLE = "retention_choices"


@functools.cache
def schema_json() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(SCHEMA_FILE.read_text()))


@functools.cache
def column_names() -> frozenset[str]:
    return frozenset(field["name"] for field in schema_json())


def choices_schema() -> list[Any]:
    from google.cloud import bigquery

    return [
        bigquery.SchemaField("user_key", "STRING", mode="REQUIRED"),
        bigquery.SchemaField("days", "INTEGER", mode="REQUIRED"),
    ]


def bigquery_schema() -> list[Any]:
    """The schema as google-cloud-bigquery SchemaFields (imported here: only provisioning needs
    it)."""
    from google.cloud import bigquery

    return [bigquery.SchemaField.from_api_repr(field) for field in schema_json()]
