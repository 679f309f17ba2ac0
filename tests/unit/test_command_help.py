"""`--help` of the commands that write files or run long: it prints the usage and exits 0
without doing anything. Before each had a parser, `--help` ran it: split rewrote the data
lists, ensure reset artifacts/CURRENT (and could train for 15 minutes), the benchmarks
overwrote their committed results, the scheduler called the jobs forever."""

from __future__ import annotations

import importlib

import pytest


def _untouchable(*args, **kwargs):
    raise AssertionError("--help did the work")


class _NoClock:
    monotonic = staticmethod(_untouchable)


# module -> what it does first, replaced so that a test run never does it
FIRST_STEP = {
    "model_serving.ensure": ("committed_inputs", _untouchable),
    "model_serving.split": ("load", _untouchable),
    "model_serving.check_corpus": ("load", _untouchable),
    "model_serving.pattern_audit": ("audit", _untouchable),
    "benchmarks.import_time": ("request_makers", _untouchable),
    "benchmarks.ops_per_turn": ("function_client", _untouchable),
    "scripts.scheduler": ("time", _NoClock),
    "scripts.operators": ("get_settings", _untouchable),
}


@pytest.mark.parametrize("name", sorted(FIRST_STEP))
def test_help_prints_the_usage_and_does_nothing(monkeypatch, capsys, name: str) -> None:
    module = importlib.import_module(name)
    monkeypatch.setattr(module, *FIRST_STEP[name])
    if name == "benchmarks.import_time":  # it asks first whether the stack is up
        monkeypatch.setattr("scripts.stack.is_up", _untouchable)
    with pytest.raises(SystemExit) as exited:
        module.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and "--help" in out


def test_pattern_audit_documents_list(capsys) -> None:
    from model_serving import pattern_audit

    with pytest.raises(SystemExit):
        pattern_audit.main(["--help"])
    assert "--list" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["model_serving.ensure", "model_serving.split"])
def test_an_unknown_argument_is_refused_before_anything_is_done(monkeypatch, name) -> None:
    module = importlib.import_module(name)
    monkeypatch.setattr(module, *FIRST_STEP[name])
    with pytest.raises(SystemExit) as exited:
        module.main(["--dry-run"])
    assert exited.value.code == 2
