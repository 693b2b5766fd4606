"""The sensor types CityLoop knows: unit, physical range, owner department and default interval.

The physical range rejects readings that no working sensor of the type can produce (a negative
rainfall, a dissolved oxygen of 80 mg/L); it is deliberately wide, since rules, not validation,
judge whether a plausible value is dangerous.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SensorType(StrEnum):
    RAINFALL = "rainfall"
    WATER_LEVEL = "water_level"
    DISSOLVED_OXYGEN = "dissolved_oxygen"
    PM25 = "pm25"
    CROWD_COUNT = "crowd_count"
    TRAFFIC_SPEED = "traffic_speed"
    HYDRANT_PRESSURE = "hydrant_pressure"
    SLOPE_DISPLACEMENT = "slope_displacement"
    GAS_LEL = "gas_lel"
    MANHOLE_LEVEL = "manhole_level"


@dataclass(frozen=True, slots=True)
class TypeSpec:
    unit: str
    low: float
    high: float
    department: str
    """Default owner department (demo city taxonomy)."""
    interval_s: float
    """Typical reporting interval in seconds."""
    meaning: str


TYPE_SPECS: dict[SensorType, TypeSpec] = {
    SensorType.RAINFALL: TypeSpec(
        "mm", 0.0, 500.0, "METEO", 300.0, "millimetres fallen since the gauge's previous reading"
    ),
    SensorType.WATER_LEVEL: TypeSpec(
        "m", -500.0, 9000.0, "WATER", 300.0, "water surface elevation above datum"
    ),
    SensorType.DISSOLVED_OXYGEN: TypeSpec(
        "mg/L", 0.0, 25.0, "ENV", 3600.0, "dissolved oxygen concentration in surface water"
    ),
    SensorType.PM25: TypeSpec(
        "µg/m³", 0.0, 2000.0, "ENV", 300.0, "fine particulate matter (PM2.5) concentration"
    ),
    SensorType.CROWD_COUNT: TypeSpec(
        "persons", 0.0, 1_000_000.0, "PSB", 60.0, "people counted in the camera's field of view"
    ),
    SensorType.TRAFFIC_SPEED: TypeSpec(
        "km/h", 0.0, 250.0, "TPOL", 60.0, "mean vehicle speed over the detector"
    ),
    SensorType.HYDRANT_PRESSURE: TypeSpec(
        "MPa", 0.0, 4.0, "FIRE", 900.0, "static water pressure at the hydrant"
    ),
    SensorType.SLOPE_DISPLACEMENT: TypeSpec(
        "mm", -10_000.0, 10_000.0, "PLAN", 600.0, "cumulative displacement of the slope marker"
    ),
    SensorType.GAS_LEL: TypeSpec(
        "%LEL", 0.0, 100.0, "GASCO", 300.0, "combustible gas concentration, % of the LEL"
    ),
    SensorType.MANHOLE_LEVEL: TypeSpec(
        "m", 0.0, 30.0, "URBAN", 300.0, "water depth above the manhole bottom"
    ),
}

TYPE_ORDER: tuple[SensorType, ...] = tuple(SensorType)
"""Position of each type = its int8 code in the sensor arrays."""
