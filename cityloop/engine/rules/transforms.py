"""Value transforms applied before levels are judged.

`iaqi_pm25`: the individual air quality index (IAQI) of a PM2.5 concentration, by the
piecewise-linear formula of HJ 633-2012 (环境空气质量指数（AQI）技术规定（试行）), §5.1, eq. (1):

    IAQI_P = (IAQI_Hi − IAQI_Lo) / (BP_Hi − BP_Lo) × (C_P − BP_Lo) + IAQI_Lo

with the PM2.5 24-hour breakpoints of its Table 1 (µg/m³): 0, 35, 75, 115, 150, 250, 350, 500 for
IAQI 0, 50, 100, 150, 200, 300, 400, 500. As §5.1 requires, results are rounded up to a whole
number ("全部进位取整数"). Concentrations above 500 µg/m³ are capped at IAQI 500 (the standard
defines no higher breakpoint).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

PM25_BREAKPOINTS = np.array([0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0])
IAQI_BREAKPOINTS = np.array([0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0])


def iaqi_pm25(concentration: FloatArray) -> FloatArray:
    """IAQI of PM2.5 concentrations (µg/m³), HJ 633-2012; NaN stays NaN."""
    out: FloatArray = np.ceil(np.interp(concentration, PM25_BREAKPOINTS, IAQI_BREAKPOINTS) - 1e-9)
    out[np.isnan(concentration)] = np.nan
    return out


def identity(values: FloatArray) -> FloatArray:
    return values


TRANSFORMS: dict[str, Callable[[FloatArray], FloatArray]] = {
    "none": identity,
    "iaqi_pm25": iaqi_pm25,
}
