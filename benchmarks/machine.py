"""What machine a benchmark ran on, written next to its figures."""

from __future__ import annotations

import contextlib
import os
import platform
from datetime import UTC, datetime


def vector_extensions(flags: set[str]) -> str:
    """The SIMD level onnxruntime's kernels pick from (int8 results and speed differ by it)."""
    found = [
        name
        for name, flag in (
            ("AVX2", "avx2"),
            ("AVX-512", "avx512f"),
            ("VNNI", "avx512_vnni"),
            ("AVX-VNNI", "avx_vnni"),
            ("AMX", "amx_tile"),
        )
        if flag in flags
    ]
    return ", ".join(found) or "no AVX2"


def cpu_line(cpuinfo: str) -> str:
    """The CPU as /proc/cpuinfo names it. A virtual machine often shows a bare "AMD EPYC", so
    the family, model and clock say which generation it is (the int8 encoder's speed differed
    by 2x between two such hosts), and the vector extensions which kernels onnxruntime picks."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:  # the first processor's
            fields[key.strip()] = value.strip()
    if "model name" not in fields:
        return "unknown"
    details = [
        f"{label} {fields[key]}"
        for label, key in (("family", "cpu family"), ("model", "model"))
        if key in fields
    ]
    with contextlib.suppress(KeyError, ValueError):
        details.append(f"{float(fields['cpu MHz']) / 1000:.1f} GHz")
    details.append(vector_extensions(set(fields.get("flags", "").split())))
    return f"{fields['model name']} ({', '.join(details)})"


def describe() -> dict:
    try:
        with open("/proc/cpuinfo") as f:
            cpu = cpu_line(f.read())
    except OSError:
        cpu = "unknown"
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            kb = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
            mem_gib = round(kb / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "os": platform.platform(),
    }
