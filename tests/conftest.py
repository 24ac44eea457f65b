"""Shared test set-up."""

from __future__ import annotations

import pytest

from nansei.cli import common


@pytest.fixture(autouse=True)
def _no_overlay(monkeypatch):
    """Every test starts from the bundled catalog: no NANSEI_CATALOG from the caller's
    environment, no --catalog left over from an earlier CLI invocation."""
    monkeypatch.delenv("NANSEI_CATALOG", raising=False)
    common.STATE.catalog_dir = None
