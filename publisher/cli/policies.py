"""``publisher list``, ``log``, ``show``: policies, their versions and clause trees."""

from __future__ import annotations

COMMANDS: list[object] = []
