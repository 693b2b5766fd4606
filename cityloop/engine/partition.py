"""Telemetry partitions: the sensors of a city split into groups judged independently.

A partition is normally a district. Every sensor belongs to exactly one partition; the sensors
of one area (`areas.yaml`) always share one, so an area rule sees all its members. Each
partition gets its own engine over just its sensors, so its state can be checkpointed and moved
to another worker alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cityloop.engine.areas import AreaSpec
from cityloop.engine.engine import Clock, Engine
from cityloop.engine.rules.base import AnyRule
from cityloop.engine.sensors import SensorTable

#: The partition of sensors that lie outside every district.
OUTSIDE = "outside"


def subset(table: SensorTable, rows: NDArray[np.intp]) -> SensorTable:
    """The sensors at positions `rows` of `table`, in that order, as a table of their own."""
    pick = [int(i) for i in rows]
    return SensorTable(
        ids=[table.ids[i] for i in pick],
        types=table.types[rows],
        lon=table.lon[rows],
        lat=table.lat[rows],
        interval=table.interval[rows],
        departments=[table.departments[i] for i in pick],
        rivers=[table.rivers[i] for i in pick],
        areas=[table.areas[i] for i in pick],
        assets=[table.assets[i] for i in pick],
        params={k: v[rows] for k, v in table.params.items()},
    )


@dataclass(frozen=True)
class Partitioning:
    """Which partition each sensor of a table belongs to."""

    sensors: SensorTable
    names: list[str]
    """Partition names, sorted."""
    of_sensor: NDArray[np.int32]
    """Per sensor (dense index of `sensors`): its position in `names`."""

    @classmethod
    def from_keys(cls, sensors: SensorTable, keys: Sequence[str | None]) -> Partitioning:
        """Partition by one key per sensor (its district; None: outside every district).

        The sensors of an area all go to the partition of the area's first sensor.
        """
        resolved = [k if k else OUTSIDE for k in keys]
        first_of_area: dict[str, str] = {}
        for i, area in enumerate(sensors.areas):
            if area is not None:
                resolved[i] = first_of_area.setdefault(area, resolved[i])
        names = sorted(set(resolved))
        position = {n: k for k, n in enumerate(names)}
        of_sensor = np.array([position[k] for k in resolved], dtype=np.int32)
        return cls(sensors, names, of_sensor)

    def rows(self, name: str) -> NDArray[np.intp]:
        """Dense indices (into `sensors`) of the partition's sensors, ascending."""
        return np.flatnonzero(self.of_sensor == self.names.index(name))

    def of(self, sensor_id: str) -> str | None:
        i = self.sensors.index.get(sensor_id)
        return None if i is None else self.names[int(self.of_sensor[i])]

    def engine(
        self,
        name: str,
        rules: Sequence[AnyRule],
        areas: Sequence[AreaSpec],
        clock: Clock | None,
        **kwargs: Any,
    ) -> Engine:
        """An engine over the partition's sensors and the areas they belong to."""
        table = subset(self.sensors, self.rows(name))
        linked = {a for a in table.areas if a is not None}
        return Engine(table, rules, [a for a in areas if a.id in linked], clock=clock, **kwargs)

    def split(
        self, sensor: NDArray[np.int32], accepted: NDArray[np.bool_]
    ) -> dict[str, NDArray[np.intp]]:
        """Positions of the accepted records of a batch, grouped by partition name."""
        keep = np.flatnonzero(accepted & (sensor >= 0))
        part = self.of_sensor[sensor[keep]]
        return {self.names[int(p)]: keep[part == p] for p in np.unique(part)}
