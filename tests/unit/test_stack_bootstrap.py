"""scripts/bootstrap.sh says what is missing before it installs anything: Terraform, a Node.js,
Java or a Python venv module that the stack cannot run with; it remakes a virtualenv it cannot
install into, whatever its stamp says, and runs once at a time in a checkout."""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "bootstrap.sh"
DUCKDB_VERSION = re.search(r"^DUCKDB_VERSION=(\S+)$", SCRIPT.read_text(), re.MULTILINE)[1]
JAVA_17 = "echo 'openjdk version \"17.0.15\" 2025-04-15' >&2"
TOOLS = {"terraform": "exit 0", "node": "echo 20.19.5", "java": JAVA_17}  # new enough
VENVS = (".venv", ".venv-model", ".venv-checkov")


def _prepare(tmp_path: Path, fakes: dict[str, str], real: tuple[str, ...] = ()) -> list[str]:
    """bootstrap.sh, copied into tmp_path (it works in its repo), with a PATH of python3,
    dirname, the `real` commands and the fake commands (name: shell script body) only: the
    command that runs it."""
    (tmp_path / "scripts").mkdir(exist_ok=True)
    shutil.copy(SCRIPT, tmp_path / "scripts" / "bootstrap.sh")
    tools = tmp_path / "bin"
    tools.mkdir()
    if "python3" not in fakes:
        (tools / "python3").symlink_to(sys.executable)
    for name in ("dirname", *real):
        (tools / name).symlink_to(shutil.which(name))
    for name, body in fakes.items():
        _script(tools / name, body)
    return [shutil.which("bash"), str(tmp_path / "scripts" / "bootstrap.sh")]


def _script(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _bootstrap(
    tmp_path: Path,
    fakes: dict[str, str],
    env: dict[str, str] | None = None,
    real: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _prepare(tmp_path, fakes, real),
        env={"PATH": str(tmp_path / "bin"), **(env or {})},
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
    fakes = {"python3": python, **TOOLS}
    run = _bootstrap(tmp_path, fakes, real=("mkdir", "flock"))
    assert run.returncode == 1
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert "python3-venv is missing" in run.stderr
    assert f"apt-get install python{version}-venv" in run.stderr
    assert not list((tmp_path / ".tools" / "logs").iterdir())  # before any install


def test_existing_virtualenvs_need_no_venv_module(tmp_path):
    """ensurepip is asked for only when a virtualenv is still to be made: ones made by
    virtualenv or uv, or before python3-venv was removed, keep every make target working."""
    shadow = tmp_path / "no-ensurepip"
    shadow.mkdir()
    (shadow / "ensurepip.py").write_text("raise ModuleNotFoundError('ensurepip')\n")
    for venv in VENVS:
        _script(tmp_path / venv / "bin" / "python", f'exec {sys.executable} "$@"')
    python = f'PYTHONPATH={shadow} exec {sys.executable} "$@"'
    run = _bootstrap(tmp_path, {"python3": python, **TOOLS}, real=("mkdir", "flock"))
    assert "python3-venv is missing" not in run.stderr
    assert "sha256sum: command not found" in run.stderr  # past the check


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


def test_the_duckdb_version_is_the_one_pinned_for_duckdb_and_its_spatial_extension():
    """Bootstrap installs the extension from the path named by its version: bumped in one place
    only, it finds none and the BigQuery emulator dies offline."""
    pins = {}
    for name in ("requirements-dev.txt", "constraints.txt"):
        for line in (ROOT / name).read_text().splitlines():
            pin = re.fullmatch(r"(duckdb|duckdb[-_]extension[-_]spatial)==(\S+)", line.strip())
            if pin:
                pins[f"{name}: {pin[1]}"] = pin[2]
    assert len(pins) == 4, pins
    assert set(pins.values()) == {DUCKDB_VERSION}, pins


# --- A checkout bootstrap has set up before ---------------------------------------------------
# Every install stamped, the Cloud SDK's emulators and chromium there: bootstrap only has the
# model checked. The virtualenvs' pythons are this Python 3.11 (with pip), which log
# `-m pip ...` and `-m model_serving.ensure` instead of running them; `python3 -m venv DIR`
# makes such a virtualenv and logs it.

EMPTY_HASH = hashlib.sha256(b"").hexdigest()[:16]  # the stamps of empty requirements files
REQUIREMENTS = (
    "requirements.txt",
    "requirements-dev.txt",
    "constraints.txt",
    "requirements-checkov.txt",
    "model_serving/requirements-train.txt",
    "model_serving/requirements-retrain.txt",
    "model_serving/requirements.txt",
    "model_serving/constraints-model.txt",
    "scripts/firebase-tools/package.json",
    "scripts/firebase-tools/package-lock.json",
)
REAL = ("mkdir", "flock", "sha256sum", "cut", "cat", "rm", "ln", "id")
ENSURE = ".venv-model/bin/python -m model_serving.ensure"
_PYTHON = f'exec {sys.executable} "$@"'  # this Python: 3.11, with pip


def _set_up_checkout(tmp_path: Path, real: tuple[str, ...] = REAL) -> list[str]:
    """A checkout that bootstrap has set up; the command that runs bootstrap there."""
    log, venv_python = tmp_path / "log", tmp_path / "venv-python"
    _script(venv_python, f'[ "$1" = -m ] && {{ echo "$0 $*" >> {log}; exit; }}\n' + _PYTHON)
    for name in REQUIREMENTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    for venv in VENVS:
        (tmp_path / venv / "bin").mkdir(parents=True)
        (tmp_path / venv / "bin" / "python").symlink_to(venv_python)
        (tmp_path / venv / ".bootstrap").write_text(f"{EMPTY_HASH}\n")
    (tmp_path / ".tools").mkdir()
    (tmp_path / ".tools" / ".firebase").write_text(f"{EMPTY_HASH}\n")
    (tmp_path / ".tools" / ".bqhome").write_text(f"{DUCKDB_VERSION}\n")
    for emulator in ("cloud-firestore-emulator", "pubsub-emulator"):
        (tmp_path / "sdk" / "platform" / emulator).mkdir(parents=True)
    make_venv = f'mkdir -p "$3/bin" && ln -s {venv_python} "$3/bin/python"'
    python3 = f'[ "$1 $2" = "-m venv" ] && {{ {make_venv}; echo "venv $3" >> {log}; exit; }}\n'
    python3 += _PYTHON
    fakes = {"python3": python3, "gcloud": f"echo {tmp_path / 'sdk'}", "chromium": "exit 0"}
    return _prepare(tmp_path, {**TOOLS, **fakes}, real)


def _run(tmp_path: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    path = {"PATH": str(tmp_path / "bin")}
    return subprocess.run(command, env=path, capture_output=True, text=True, timeout=30)


def _log(tmp_path: Path) -> list[str]:
    path = tmp_path / "log"
    return path.read_text().splitlines() if path.exists() else []


def test_a_set_up_checkout_is_left_as_it_is(tmp_path):
    run = _run(tmp_path, _set_up_checkout(tmp_path))
    assert run.returncode == 0, run.stderr
    assert _log(tmp_path) == [ENSURE]


def _interrupted(venv: Path) -> None:
    """`python -m venv` stopped before ensurepip ran: bin/python without pip, and no stamp."""
    shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)


def _python_3_12(venv: Path) -> None:
    """Made by hand on Python 3.12 (with pip), its stamp kept."""
    (venv / "bin" / "python").unlink()
    shadow = venv / "shadow"
    shadow.mkdir()
    (shadow / "sitecustomize.py").write_text("import sys\nsys.version_info = (3, 12, 3)\n")
    _script(venv / "bin" / "python", f"PYTHONPATH={shadow} {_PYTHON}")


def _python_removed(venv: Path) -> None:
    """Its Python uninstalled since (pyenv, Homebrew): a dangling bin/python, its stamp kept."""
    (venv / "bin" / "python").unlink()
    (venv / "bin" / "python").symlink_to(venv / "gone" / "python3.11")


@pytest.mark.parametrize(
    ("venv", "spoil"),
    [
        *((venv, _interrupted) for venv in VENVS),
        (".venv", _python_3_12),
        (".venv-model", _python_removed),
    ],
)
def test_a_virtualenv_bootstrap_cannot_install_into_is_made_afresh(tmp_path, venv, spoil):
    command = _set_up_checkout(tmp_path)
    spoil(tmp_path / venv)
    run = _run(tmp_path, command)
    assert run.returncode == 0, run.stderr
    assert f"remaking {venv}: its bin/python is not a working Python 3.11 with pip" in run.stdout
    log = _log(tmp_path)
    assert [line for line in log if line.startswith("venv")] == [f"venv {venv}"]  # it alone
    assert f"{venv}/bin/python -m pip install --quiet pip==26.3" in log
    assert (tmp_path / venv / ".bootstrap").read_text() == f"{EMPTY_HASH}\n"


def test_a_second_bootstrap_waits_for_the_first_then_finds_it_all_set_up(tmp_path):
    command = _set_up_checkout(tmp_path)
    with open(tmp_path / ".tools" / "bootstrap.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a bootstrap running
        proc = subprocess.Popen(
            command, env={"PATH": str(tmp_path / "bin")}, stdout=subprocess.PIPE, text=True
        )
        time.sleep(1)
        assert proc.poll() is None  # waiting
        assert _log(tmp_path) == []
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "waiting for another bootstrap of this checkout to finish" in out
    assert _log(tmp_path) == [ENSURE]


def test_without_flock_bootstrap_warns_and_goes_on(tmp_path):
    run = _run(tmp_path, _set_up_checkout(tmp_path, tuple(c for c in REAL if c != "flock")))
    assert run.returncode == 0, run.stderr
    assert "flock (util-linux) not found" in run.stdout
    assert _log(tmp_path) == [ENSURE]
