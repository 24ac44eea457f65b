"""Former home of the map writers; they live beside what they draw, in :mod:`nansei.geo.maps`.

Kept so ``from nansei import maps`` keeps working for scripts written against it.
"""

from nansei.geo.maps import *  # noqa: F403
from nansei.geo.maps import (  # noqa: F401
    _write_atomic,
    coverage_figure,
    coverage_geojson,
    coverage_html,
    coverage_map_figure,
    map_extent,
    short_name,
    system_colours,
    write_comparison_png,
    write_geojson,
    write_html,
    write_map,
    write_png,
)
