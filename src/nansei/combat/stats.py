"""Moved to :mod:`nansei.stats` (one statistics module); kept for ``combat.engine``'s import."""

from nansei.stats import Histogram as Histogram
