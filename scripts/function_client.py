"""A function's entry point in this process, through functions-framework's Flask app."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from functions_framework import create_app

from common import after_answer

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"


class _SentClient(FlaskClient):
    """Reads each answer whole and closes it, as gunicorn does once it has sent it, and waits
    for the work left for after the answer (common.after_answer): done when the call returns."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        response = super().open(*args, **kwargs)
        assert after_answer.wait_settled(), "work after the answer still running after 30 s"
        return response


def function_client(name: str) -> FlaskClient:
    """functions/<name>/main.py's entry point `name`, served as functions-framework serves it."""
    app = create_app(target=name, source=str(FUNCTIONS / name / "main.py"))
    app.test_client_class = _SentClient
    return app.test_client()
