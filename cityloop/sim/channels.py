"""The public channels people use: Open311 (the city app), the 12345 hotline (an operator types
the call in), the grid worker's app (with a photo)."""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from cityloop.city import City

if TYPE_CHECKING:
    from cityloop.sim.runner import Run

M_PER_DEG_LAT = 110_540.0
#: The smallest JPEG header the upload check accepts, and some bytes (a stand-in photo).
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8


def point_in(city: City, code: str, rng: np.random.Generator) -> tuple[float, float]:
    """A random point inside jurisdiction `code`."""
    geom = city.jurisdictions[code].geometry
    x0, y0, x1, y1 = geom.bounds
    for _ in range(10_000):
        x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        if shapely.contains_xy(geom, x, y):
            return round(x, 6), round(y, 6)
    p = geom.representative_point()
    return p.x, p.y


def point_near(
    lon: float, lat: float, radius_m: float, rng: np.random.Generator
) -> tuple[float, float]:
    """A random point within `radius_m` of (lon, lat)."""
    r = radius_m * math.sqrt(float(rng.uniform(0, 1)))
    a = float(rng.uniform(0, 2 * math.pi))
    dlat = r * math.sin(a) / M_PER_DEG_LAT
    dlon = r * math.cos(a) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lon + dlon, 6), round(lat + dlat, 6)


def _phone(rng: np.random.Generator) -> str:
    return (
        "1" + str(int(rng.choice([35, 38, 39, 58, 86, 77]))) + f"{int(rng.integers(0, 10**8)):08d}"
    )


def _place(run: Run, lon: float, lat: float) -> str | None:
    chain = run.city.locator.locate(lon, lat)
    code = chain.community if chain is not None else None
    return run.city.jurisdictions[code].name_zh if code else None


def open311(run: Run, type_code: str, lon: float, lat: float) -> str:
    """A citizen's report through Open311 (the city app); returns the report's ref."""
    text = run.composer.compose(type_code, _place(run, lon, lat))
    answer = run.client.open311(
        run.open311_key,
        {
            "service_code": type_code,
            "lat": lat,
            "long": lon,
            "description": text.text,
            "phone": _phone(run.rng),
            "device_id": uuid.uuid4().hex[:12],
        },
    )
    run.sent["reports"] += 1
    ref: str = answer["service_request_id"]
    return ref


def hotline(run: Run, type_code: str, lon: float, lat: float) -> str:
    """A 12345 call typed in by the operator; the event waits for triage. Returns the report id."""
    text = run.composer.compose(type_code, _place(run, lon, lat))
    body: dict[str, Any] = run.client.post(
        "/api/v1/hotline/tickets",
        "city_op",
        {"text": text.text, "caller_phone": _phone(run.rng), "lon": lon, "lat": lat},
    )
    run.sent["reports"] += 1
    event = body["event"]
    run.workforce.truth[event["id"]] = type_code
    report_id: str = event["report_ids"][0]
    run.__dict__.setdefault("_report_event", {})[report_id] = event["id"]
    return report_id


def upload_photo(run: Run, user: str) -> str:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="site.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + PHOTO
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = run.client.raw(
        "POST",
        "/api/v1/uploads",
        body,
        {
            "content-type": f"multipart/form-data; boundary={boundary}",
            "authorization": f"Bearer {run.client.token(user)}",
        },
    )
    if answer.status != 201:
        raise RuntimeError(f"upload answered {answer.status}: {answer.body}")
    key: str = answer.body["key"]
    return key


def grid_report(
    run: Run, user: str, type_code: str, lon: float, lat: float, photo: bool
) -> tuple[str, str]:
    """A grid worker's report from the field; returns (report id, event id)."""
    text = run.composer.compose(type_code, _place(run, lon, lat), grid_worker=True)
    attachments = [upload_photo(run, user)] if photo else []
    body: dict[str, Any] = run.client.post(
        "/api/v1/grid/reports",
        user,
        {"text": text.text, "type_code": type_code, "lon": lon, "lat": lat,
         "attachments": attachments},
    )  # fmt: skip
    run.sent["reports"] += 1
    event = body["event"]
    return event["report_ids"][0], event["id"]
