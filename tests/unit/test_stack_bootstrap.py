"""scripts/bootstrap.sh says what is missing before it installs anything: here, Terraform."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bootstrap.sh"


def test_without_terraform_bootstrap_stops_at_once_and_says_so(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "bootstrap.sh")  # a copy: it works in its repo
    tools = tmp_path / "bin"  # a PATH with python and dirname, and no terraform
    tools.mkdir()
    (tools / "python3").symlink_to(sys.executable)
    (tools / "dirname").symlink_to(shutil.which("dirname"))
    run = subprocess.run(
        [shutil.which("bash"), str(tmp_path / "scripts" / "bootstrap.sh")],
        env={"PATH": str(tools)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 1
    assert "Terraform 1.7+ is required" in run.stderr
    assert not (tmp_path / ".tools").exists()  # before any install
