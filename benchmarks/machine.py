"""The machine a benchmark ran on, for its results file (standard library only)."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from typing import Any


def machine() -> dict[str, Any]:
    """The host: platform, processor (lscpu's model name where there is one), cores."""
    processor = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        listing = subprocess.run(
            ["lscpu"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        for line in listing.splitlines():
            if line.strip().lower().startswith("model name:"):
                processor = line.split(":", 1)[1].strip()
                break
    return {
        "platform": platform.platform(),
        "processor": processor,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
