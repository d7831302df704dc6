"""Reports a person reads: a task's outcome as one self-contained HTML page.

Standard library only, so the demo and the node can write a report without
Ape, a chain or torch being imported here.
"""

from ape_arena.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
