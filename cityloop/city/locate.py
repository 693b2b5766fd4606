"""Point → jurisdiction chain, exact and fast in batches.

Design: a raster over the bounding box of the territory. Every cell that no jurisdiction boundary
crosses lies wholly inside one *face* (the deepest jurisdiction there, or outside), so it stores
that face; cells that a boundary may cross are flagged and their points are resolved exactly with
shapely (STRtree, `intersects`, level by level from grid up to city). The chain of a face comes from
precomputed ancestor index arrays, so a batch costs a few NumPy gathers plus exact tests for the
few percent of points near a boundary.

A point on a shared boundary belongs to the jurisdiction listed first. A point inside the city but
in no grid gets the deepest level that contains it (its lower levels are None / -1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from cityloop.domain.territory import LEVELS, JurisdictionChain, Level

if TYPE_CHECKING:
    from cityloop.city.model import Jurisdiction

IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

_BOUNDARY = -2
DEFAULT_RESOLUTION = 4096


@dataclass(frozen=True)
class LocatedBatch:
    """Where each point of a batch lies: an index per level into `codes(level)`, -1 for none."""

    indices: dict[Level, IntArray]
    inside: BoolArray
    _codes: dict[Level, list[str]]

    def __len__(self) -> int:
        return len(self.inside)

    def index(self, level: Level) -> IntArray:
        return self.indices[level]

    def codes(self, level: Level) -> list[str]:
        """The codes that the indices of `level` point into."""
        return self._codes[level]

    def code_at(self, level: Level, i: int) -> str | None:
        k = int(self.indices[level][i])
        return self._codes[level][k] if k >= 0 else None

    def chain(self, i: int) -> JurisdictionChain | None:
        """The chain of point `i`, or None when it is outside the city."""
        if not self.inside[i]:
            return None
        city = self.code_at(Level.CITY, i)
        assert city is not None
        return JurisdictionChain(
            city=city,
            district=self.code_at(Level.DISTRICT, i),
            street=self.code_at(Level.STREET, i),
            community=self.code_at(Level.COMMUNITY, i),
            grid=self.code_at(Level.GRID, i),
        )


class Locator:
    """Locates points in a jurisdiction tree; build with `Locator.from_jurisdictions`."""

    def __init__(self, jurisdictions: Iterable[Jurisdiction], resolution: int) -> None:
        nodes = list(jurisdictions)
        self._codes: dict[Level, list[str]] = {lv: [] for lv in LEVELS}
        position: dict[str, int] = {}
        for node in nodes:
            position[node.code] = len(self._codes[node.level])
            self._codes[node.level].append(node.code)
        self._nodes = len(nodes)
        # ancestors[level][g] = index of node g's ancestor at `level` (or itself), -1 if none;
        # one extra trailing -1 so that node index -1 (outside) maps to -1.
        self._ancestors: dict[Level, IntArray] = {}
        for level in LEVELS:
            anc = np.full(self._nodes + 1, -1, dtype=np.int64)
            for g, node in enumerate(nodes):
                code = node.chain.code_at(level)
                if code is not None and level.depth <= node.level.depth:
                    anc[g] = position[code]
            self._ancestors[level] = anc
        self._levels: list[tuple[Any, IntArray]] = []  # (STRtree, global ids), grid level first
        for level in reversed(LEVELS):
            ids = np.array([g for g, n in enumerate(nodes) if n.level is level], dtype=np.int64)
            if len(ids):
                geoms = np.array([nodes[g].geometry for g in ids], dtype=object)
                self._levels.append((shapely.STRtree(geoms), ids))
        geoms = np.array([n.geometry for n in nodes], dtype=object)
        self._build_raster(geoms, resolution)
        self._face_chains: dict[int, JurisdictionChain] = {}

    @classmethod
    def from_jurisdictions(
        cls, jurisdictions: Iterable[Jurisdiction], resolution: int = DEFAULT_RESOLUTION
    ) -> Locator:
        return cls(jurisdictions, resolution)

    # --- exact path ------------------------------------------------------------------------------

    def _exact(self, lon: FloatArray, lat: FloatArray) -> IntArray:
        """Global node index of the deepest jurisdiction containing each point, -1 if none."""
        out = np.full(len(lon), -1, dtype=np.int64)
        todo = np.arange(len(lon))
        for tree, ids in self._levels:
            if len(todo) == 0:
                break
            points = shapely.points(lon[todo], lat[todo])
            pt, hit = tree.query(points, predicate="intersects")
            if len(pt):
                best = np.full(len(todo), np.iinfo(np.int64).max, dtype=np.int64)
                np.minimum.at(best, pt, hit)
                found = best != np.iinfo(np.int64).max
                out[todo[found]] = ids[best[found]]
                todo = todo[~found]
        return out

    # --- raster ----------------------------------------------------------------------------------

    def _build_raster(self, geoms: Any, resolution: int) -> None:
        x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(geoms))
        pad = 1e-9 + 1e-6 * max(x1 - x0, y1 - y0)
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
        span = max(x1 - x0, y1 - y0)
        nx = max(1, round(resolution * (x1 - x0) / span))
        ny = max(1, round(resolution * (y1 - y0) / span))
        cw, ch = (x1 - x0) / nx, (y1 - y0) / ny
        self._grid = (x0, y0, 1.0 / cw, 1.0 / ch, nx, ny)

        # Flag every cell a boundary may cross: sample boundaries at half a cell, dilate by one.
        rings = shapely.get_parts(shapely.boundary(geoms))
        samples = shapely.get_coordinates(shapely.segmentize(rings, 0.5 * min(cw, ch)))
        ix = np.clip(((samples[:, 0] - x0) / cw).astype(np.int64), 0, nx - 1)
        iy = np.clip(((samples[:, 1] - y0) / ch).astype(np.int64), 0, ny - 1)
        core = np.zeros((ny + 2, nx + 2), dtype=bool)
        core[iy + 1, ix + 1] = True
        flagged = np.zeros((ny, nx), dtype=bool)
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                flagged |= core[dy : dy + ny, dx : dx + nx]

        # Runs of unflagged cells along a row lie in one face: locate one cell per run exactly.
        free = ~flagged
        starts = free.copy()
        starts[:, 1:] &= ~free[:, :-1]
        flat_free, flat_starts = free.ravel(), starts.ravel()
        run_of = np.cumsum(flat_starts) - 1
        first = np.flatnonzero(flat_starts)
        cx = (x0 + (first % nx + 0.5) * cw).astype(np.float64)
        cy = (y0 + (first // nx + 0.5) * ch).astype(np.float64)
        run_face = self._exact(cx, cy)
        dtype = np.int16 if self._nodes < np.iinfo(np.int16).max else np.int32
        cells = np.full(nx * ny, _BOUNDARY, dtype=dtype)
        cells[flat_free] = run_face[run_of[flat_free]]
        self._cells = cells
        self.flagged_share = float(flagged.mean())

    # --- public ----------------------------------------------------------------------------------

    def faces(self, lon: FloatArray, lat: FloatArray) -> IntArray:
        """Global node index of the deepest jurisdiction at each point (-1 outside)."""
        x0, y0, inv_w, inv_h, nx, ny = self._grid
        fx: FloatArray = (lon - x0) * inv_w
        fy: FloatArray = (lat - y0) * inv_h
        within = (fx >= 0) & (fx < nx) & (fy >= 0) & (fy < ny)  # NaN: outside
        # cells of the points inside the grid only: NaN or huge values cast to no integer
        cell = fy[within].astype(np.int64) * nx + fx[within].astype(np.int64)
        face = np.full(len(lon), -1, dtype=np.int64)
        face[within] = self._cells[cell]
        exact = np.flatnonzero(face == _BOUNDARY)
        if len(exact):
            face[exact] = self._exact(lon[exact], lat[exact])
        return face

    def locate_many(self, lon: Any, lat: Any) -> LocatedBatch:
        """Locate every point of two equal-length arrays of longitudes and latitudes."""
        lon_a = np.ascontiguousarray(lon, dtype=np.float64).ravel()
        lat_a = np.ascontiguousarray(lat, dtype=np.float64).ravel()
        if lon_a.shape != lat_a.shape:
            raise ValueError("lon and lat must have the same length")
        face = self.faces(lon_a, lat_a)
        indices = {level: self._ancestors[level][face] for level in LEVELS}
        return LocatedBatch(indices=indices, inside=face >= 0, _codes=self._codes)

    def locate(self, lon: float, lat: float) -> JurisdictionChain | None:
        """The chain of jurisdictions at a point, or None when it is outside the city.

        The same answer as `locate_many` for one point, on Python floats: a report's access
        check locates one point per request, where NumPy's per-call costs would dominate.
        """
        x0, y0, inv_w, inv_h, nx, ny = self._grid
        fx = (lon - x0) * inv_w
        fy = (lat - y0) * inv_h
        if not (0 <= fx < nx and 0 <= fy < ny):  # NaN fails every comparison: outside too
            return None
        face = int(self._cells[int(fy) * nx + int(fx)])
        if face == _BOUNDARY:
            face = int(self._exact(np.array([lon], dtype=np.float64), np.array([lat]))[0])
        return self._chain_of_face(face)

    def _chain_of_face(self, face: int) -> JurisdictionChain | None:
        if face < 0:
            return None
        chain = self._face_chains.get(face)
        if chain is None:  # one per face, built on first use (chains are immutable)
            indices = {level: self._ancestors[level][[face]] for level in LEVELS}
            batch = LocatedBatch(indices=indices, inside=np.array([True]), _codes=self._codes)
            chain = batch.chain(0)
            assert chain is not None
            self._face_chains[face] = chain
        return chain

    def codes(self, level: Level) -> list[str]:
        return self._codes[level]
