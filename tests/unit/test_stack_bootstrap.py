"""scripts/bootstrap.sh says what is missing before it installs anything: Terraform, a Node.js,
Java or a Python venv module that the stack cannot run with."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bootstrap.sh"
JAVA_17 = "echo 'openjdk version \"17.0.15\" 2025-04-15' >&2"


def _bootstrap(
    tmp_path: Path, fakes: dict[str, str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """bootstrap.sh, copied into tmp_path (it works in its repo), with a PATH of python3,
    dirname and the fake commands (name: shell script body) only."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "bootstrap.sh")
    tools = tmp_path / "bin"
    tools.mkdir()
    if "python3" not in fakes:
        (tools / "python3").symlink_to(sys.executable)
    (tools / "dirname").symlink_to(shutil.which("dirname"))
    for name, body in fakes.items():
        (tools / name).write_text(f"#!/bin/sh\n{body}\n")
        (tools / name).chmod(0o755)
    return subprocess.run(
        [shutil.which("bash"), str(tmp_path / "scripts" / "bootstrap.sh")],
        env={"PATH": str(tools), **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_without_terraform_bootstrap_stops_at_once_and_says_so(tmp_path):
    run = _bootstrap(tmp_path, {})
    assert run.returncode == 1
    assert "Terraform 1.7+ is required" in run.stderr
    assert not (tmp_path / ".tools").exists()  # before any install


@pytest.mark.parametrize(
    ("fakes", "message"),
    [
        # Debian 12's nodejs: firebase-tools 15 exits on it, so `make run` died much later
        ({"node": "echo 18.20.4", "java": JAVA_17}, "Node.js 20+ is required (found 18.20.4)"),
        (
            {"node": "echo 20.19.5", "java": "echo 'openjdk version \"11.0.2\" 2019-01-15' >&2"},
            "Java 17+ is required (found 11.0.2)",
        ),
        ({"node": "echo 20.19.5", "java": "echo 'java version \"1.8.0_202\"' >&2"}, "(found 1.8"),
    ],
)
def test_a_node_or_java_too_old_for_the_emulators_stops_bootstrap_at_once(tmp_path, fakes, message):
    run = _bootstrap(tmp_path, {"terraform": "exit 0", **fakes})
    assert run.returncode == 1
    assert message in run.stderr
    assert not (tmp_path / ".tools").exists()  # before any install


def test_new_enough_tools_pass_the_checks(tmp_path):
    """The checks accept what the stack runs with (the run then stops at the first install:
    this PATH has no mkdir)."""
    run = _bootstrap(tmp_path, {"terraform": "exit 0", "node": "echo 20.19.5", "java": JAVA_17})
    assert "ERROR" not in run.stderr
    assert "mkdir: command not found" in run.stderr  # past the checks


def test_a_python_without_its_venv_module_names_the_package_to_install(tmp_path):
    """Debian's python3 comes without ensurepip (python3-venv), and `python3 -m venv` fails."""
    shadow = tmp_path / "no-ensurepip"
    shadow.mkdir()
    (shadow / "ensurepip.py").write_text("raise ModuleNotFoundError('ensurepip')\n")
    python = f'PYTHONPATH={shadow} exec {sys.executable} "$@"'
    run = _bootstrap(tmp_path, {"python3": python, "terraform": "exit 0"})
    assert run.returncode == 1
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert "python3-venv is missing" in run.stderr
    assert f"apt-get install python{version}-venv" in run.stderr


def test_existing_virtualenvs_need_no_venv_module(tmp_path):
    """ensurepip is asked for only when a virtualenv is still to be made: ones made by
    virtualenv or uv, or before python3-venv was removed, keep every make target working."""
    shadow = tmp_path / "no-ensurepip"
    shadow.mkdir()
    (shadow / "ensurepip.py").write_text("raise ModuleNotFoundError('ensurepip')\n")
    for venv in (".venv", ".venv-model", ".venv-checkov"):
        (tmp_path / venv / "bin").mkdir(parents=True)
        (tmp_path / venv / "bin" / "python").symlink_to(sys.executable)
    python = f'PYTHONPATH={shadow} exec {sys.executable} "$@"'
    fakes = {"python3": python, "terraform": "exit 0", "node": "echo 20.19.5", "java": JAVA_17}
    run = _bootstrap(tmp_path, fakes)
    assert "python3-venv is missing" not in run.stderr
    assert "mkdir: command not found" in run.stderr  # past the checks


@pytest.mark.parametrize("version", ["23-ea", "17-internal", "21", "17.0.9"])
def test_java_builds_are_read_by_their_major_version(tmp_path, version):
    java = f"echo 'openjdk version \"{version}\" 2024-03-19' >&2"
    run = _bootstrap(tmp_path, {"terraform": "exit 0", "node": "echo 20.19.5", "java": java})
    assert "Java 17+ is required" not in run.stderr
    assert "mkdir: command not found" in run.stderr  # past the checks


def test_a_python_too_old_names_it_and_the_variable_that_picks_another(tmp_path):
    """README: bootstrap runs python3, or the interpreter BOOTSTRAP_PYTHON names."""
    old = 'case "$1" in -V) echo "Python 3.10.12";; *) exit 1;; esac'
    run = _bootstrap(tmp_path, {"python3.10": old}, env={"BOOTSTRAP_PYTHON": "python3.10"})
    assert run.returncode == 1
    assert (
        "python 3.11 is required (the functions deploy on python311), python3.10 is Python 3.10.12"
        in run.stderr
    )
    assert "set BOOTSTRAP_PYTHON" in run.stderr


def test_a_python_newer_than_the_functions_runtime_is_refused_too(tmp_path):
    """The functions deploy on python311 and a unit test fails on another Python: bootstrap
    says so before installing anything, not after a whole install."""
    new = 'case "$1" in -V) echo "Python 3.12.3";; *) exit 1;; esac'
    run = _bootstrap(tmp_path, {"python3.12": new}, env={"BOOTSTRAP_PYTHON": "python3.12"})
    assert run.returncode == 1
    assert "python 3.11 is required" in run.stderr and "Python 3.12.3" in run.stderr
