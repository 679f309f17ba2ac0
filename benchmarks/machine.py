"""What machine a benchmark ran on, written next to its figures."""

from __future__ import annotations

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


def describe() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
        flags = next(line.split(":", 1)[1].split() for line in lines if line.startswith("flags"))
        cpu = f"{cpu} ({vector_extensions(set(flags))})"
    except (OSError, StopIteration):
        pass
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
