"""Travel times from a point to many: over the city's road graph when it has one, else straight.

`roads.geojson` (optional in a city folder) gives road centre lines with a class. The graph is
built once per city: the lines are noded where they cross (`shapely.node`), every vertex becomes a
node, every piece between two vertices an edge whose weight is its great-circle length over the
speed of its road class (`SPEEDS_KMH`). Roads drawn apart from each other (separate components)
are joined by connectors between their closest nodes. A trip is: from the origin to its nearest
road node, the fastest path over the graph (Dijkstra, SciPy), then from the road node nearest the
target to the target — or straight from origin to target when that is quicker (next door). Every
leg off the road file (access, egress, connectors: the minor streets the file does not draw) is
the straight distance times `DETOUR` at `ACCESS_SPEED_KMH`. Without a road file, travel is the
straight line at `STRAIGHT_SPEED_KMH`. Either way the model says how it computed it (`how`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from cityloop.plans.resources import EARTH_RADIUS_M, haversine_m

ROADS_FILE = "roads.geojson"
#: Assumed travel speeds of emergency vehicles by road class (km/h).
SPEEDS_KMH = {"avenue": 40.0, "road": 30.0, "street": 20.0, "lane": 10.0}
#: Off the road file (the minor streets it does not draw): from a point to the road, from the
#: road to a point, and over the connectors that join roads drawn apart, at this speed ...
ACCESS_SPEED_KMH = 20.0
#: ... over the straight-line distance times this detour factor (streets are not straight).
DETOUR = 1.3
#: Without a road graph: straight line at an assumed urban speed.
STRAIGHT_SPEED_KMH = 30.0

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def _per_minute(kmh: float) -> float:
    """Metres covered in one minute at `kmh`."""
    return kmh * 1000.0 / 60.0


class TravelModel(Protocol):
    """Minutes from one point to many, and how they were computed."""

    @property
    def kind(self) -> str: ...
    @property
    def how(self) -> str: ...

    def minutes(self, lon: float, lat: float, lons: Any, lats: Any) -> FloatArray: ...


@dataclass(frozen=True)
class StraightLine:
    speed_kmh: float = STRAIGHT_SPEED_KMH
    kind: str = "straight_line"

    @property
    def how(self) -> str:
        return (
            "great-circle (haversine) distance on a sphere of radius 6,371,008.8 m at an "
            f"assumed {self.speed_kmh:g} km/h (the city has no road graph)"
        )

    def minutes(self, lon: float, lat: float, lons: Any, lats: Any) -> FloatArray:
        out: FloatArray = haversine_m(lon, lat, lons, lats) / _per_minute(self.speed_kmh)
        return out


class RoadNetwork:
    """The city's roads as a graph of minutes; see the module's docstring for the method."""

    kind = "road_graph"

    def __init__(
        self,
        lon: FloatArray,
        lat: FloatArray,
        graph: sparse.csr_matrix,
        roads: int,
        connectors: int,
    ) -> None:
        self.lon = lon
        self.lat = lat
        self.graph = graph
        self.roads = roads
        self.connectors = connectors
        self._cos = float(np.cos(np.radians(np.mean(lat)))) if lat.size else 1.0
        self._tree = cKDTree(self._xy(lon, lat))

    @property
    def how(self) -> str:
        speeds = ", ".join(f"{k} {v:g}" for k, v in SPEEDS_KMH.items())
        return (
            f"fastest path over the road graph of {self.roads} roads ({self.lon.size} nodes; "
            f"speeds by class in km/h: {speeds}; {self.connectors} connectors join roads drawn "
            f"apart), plus the legs from the origin to its nearest road node and from the road to "
            f"the target — or straight from origin to target when that is quicker; every leg off "
            f"the road file is the straight distance × {DETOUR:g} at {ACCESS_SPEED_KMH:g} km/h"
        )

    def _xy(self, lon: Any, lat: Any) -> FloatArray:
        """Local metres (equirectangular about the network's mean latitude), for snapping."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        cos = getattr(self, "_cos", 1.0)
        out: FloatArray = np.column_stack([lon * 111_320.0 * cos, lat * 110_574.0])
        return out

    def _snap(self, lon: Any, lat: Any) -> tuple[np.ndarray[Any, Any], FloatArray]:
        """Nearest node of each point and the great-circle metres to it."""
        lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        _, idx = self._tree.query(self._xy(lon, lat))
        idx = np.asarray(idx, dtype=np.int64)
        return idx, _pairwise_m(lon, lat, self.lon[idx], self.lat[idx])

    def minutes(self, lon: float, lat: float, lons: Any, lats: Any) -> FloatArray:
        lons = np.atleast_1d(np.asarray(lons, dtype=np.float64))
        lats = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        if lons.size == 0:
            return np.zeros(0)
        access = _per_minute(ACCESS_SPEED_KMH) / DETOUR  # straight-line metres per minute
        origin, gap = self._snap(lon, lat)
        on_road = dijkstra(self.graph, directed=False, indices=int(origin[0]))
        ends, gaps = self._snap(lons, lats)
        via_road = gap[0] / access + on_road[ends] + gaps / access
        direct = haversine_m(lon, lat, lons, lats) / access
        out: FloatArray = np.minimum(via_road, direct)
        return out


def _pairwise_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> FloatArray:
    """Great-circle metres between the points of two arrays, element by element."""
    x1, y1, x2, y2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    out: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def build_road_network(features: list[dict[str, Any]]) -> RoadNetwork:
    """The graph of a list of GeoJSON LineString road features (with `properties.class`)."""
    lines = [shapely.linestrings(f["geometry"]["coordinates"]) for f in features]
    speeds = np.array([SPEEDS_KMH.get(f["properties"].get("class"), 20.0) for f in features])
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(lines)))
    tree = shapely.STRtree(lines)
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    part_idx, line_idx = tree.query(mids, predicate="dwithin", distance=1e-7)
    part_speed = np.full(len(noded), 20.0)
    np.maximum.at(part_speed, part_idx, speeds[line_idx])
    node_of: dict[tuple[float, float], int] = {}
    src: list[int] = []
    dst: list[int] = []
    minutes: list[float] = []
    for part, speed in zip(noded, part_speed, strict=True):
        coords = np.round(shapely.get_coordinates(part), 7)
        ids = [node_of.setdefault((float(x), float(y)), len(node_of)) for x, y in coords]
        for k in range(len(ids) - 1):
            a, b = ids[k], ids[k + 1]
            if a == b:
                continue
            length = haversine_m(coords[k, 0], coords[k, 1], [coords[k + 1, 0]], [coords[k + 1, 1]])
            src.append(a)
            dst.append(b)
            minutes.append(float(length[0]) / _per_minute(float(speed)))
    xy = np.array(list(node_of), dtype=np.float64).reshape(-1, 2)
    n = len(node_of)
    connectors = _connect(xy, src, dst, minutes, n)
    graph = sparse.csr_matrix((minutes, (src, dst)), shape=(n, n))
    return RoadNetwork(xy[:, 0].copy(), xy[:, 1].copy(), graph, len(features), connectors)


def _connect(xy: FloatArray, src: list[int], dst: list[int], minutes: list[float], n: int) -> int:
    """Join every component to the largest by a straight connector between their closest nodes
    (appended to the edge lists); returns how many connectors were added."""
    if n == 0:
        return 0
    graph = sparse.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    if count == 1:
        return 0
    cos = float(np.cos(np.radians(np.mean(xy[:, 1]))))
    metres = np.column_stack([xy[:, 0] * 111_320.0 * cos, xy[:, 1] * 110_574.0])
    sizes = np.bincount(labels)
    joined = labels == int(np.argmax(sizes))
    added = 0
    for comp in np.argsort(-sizes)[1:]:
        mine = np.flatnonzero(labels == comp)
        main = np.flatnonzero(joined)
        dist, nearest = cKDTree(metres[main]).query(metres[mine])
        k = int(np.argmin(dist))
        a, b = int(mine[k]), int(main[int(nearest[k])])
        length = haversine_m(xy[a, 0], xy[a, 1], [xy[b, 0]], [xy[b, 1]])[0]
        src.append(a)
        dst.append(b)
        minutes.append(max(float(length), 1.0) * DETOUR / _per_minute(ACCESS_SPEED_KMH))
        joined[mine] = True
        added += 1
    return added


@lru_cache(maxsize=8)
def travel_model(root: Path) -> TravelModel:
    """The road graph of the city folder `root` when it has `roads.geojson`, else straight line."""
    path = Path(root) / ROADS_FILE
    if not path.exists():
        return StraightLine()
    features = orjson.loads(path.read_bytes()).get("features", [])
    roads = [f for f in features if (f.get("geometry") or {}).get("type") == "LineString"]
    if not roads:
        return StraightLine()
    return build_road_network(roads)
