"""Where the sandbox's stand-ins for the railway, render, vercel and stripe CLIs live."""

from __future__ import annotations

from pathlib import Path


def stand_in_tools_directory() -> Path:
    """Give the folder of stand-in command line tools that act on the sandbox."""
    return Path(__file__).resolve().parent / "bin"
