"""Poortwachter: a privacy gateway between a school's administration system and its suppliers.

Every outbound pupil payload is filtered against the supplier's data-processing agreement in
force (default deny) and every transfer is recorded in a log that holds no pupil data.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
