"""``POST /portal/reports``: the citizen portal's own route (a photo, a place, a description).

The portal is the city's own client: it needs no Open311 key. The report goes through the same
intake pipeline as every channel (classify when no category is given, locate, de-duplicate,
route); its answer gives the number to track it by (the Open311 ``service_request_id``).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile, status

from cityloop.api.deps import ContainerDep
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.event import Source
from cityloop.domain.report import Channel
from cityloop.services.commands import Contact
from cityloop.services.intake import IncomingReport

router = APIRouter(tags=["portal"])

MAX_PHOTO = 10 * 1024 * 1024


@router.post("/portal/reports", status_code=status.HTTP_201_CREATED)
async def portal_report(
    container: ContainerDep,
    description: Annotated[str, Form(min_length=2, max_length=4_000)],
    lon: Annotated[float, Form(ge=-180, le=180)],
    lat: Annotated[float, Form(ge=-90, le=90)],
    service_code: Annotated[str | None, Form(max_length=20)] = None,
    phone: Annotated[str | None, Form(max_length=30)] = None,
    photo: Annotated[UploadFile | None, File()] = None,
) -> dict[str, Any]:
    """A citizen's report from the portal: multipart `description`, `lon`, `lat`, optional
    `service_code` (a type code; else the classifier decides), `phone` (for the follow-up
    link) and `photo` (JPEG, PNG or WebP up to 10 MB, checked by content). Answers
    `service_request_id` (the number to track), `token` and `merged`."""
    code = service_code or None
    if code is not None and code not in container.city.event_types:
        raise InvalidCommand(f"unknown category '{code}'")
    chain = container.city.locator.locate(lon, lat)
    if chain is None:
        raise InvalidCommand("the place is outside the city")
    attachments: tuple[Any, ...] = ()
    media: tuple[str, ...] = ()
    if photo is not None and photo.filename:
        data = await photo.read(MAX_PHOTO + 1)
        if len(data) > MAX_PHOTO:
            raise InvalidCommand("a photo may be at most 10 MB")
        saved = container.uploads.save(photo.filename, data, "portal")
        if not saved.content_type.startswith("image/"):
            raise InvalidCommand("the photo must be a JPEG, PNG or WebP image")
        attachments = container.uploads.attachments([saved.key])
        media = (saved.key,)
    token = secrets.token_hex(16)
    phone = (phone or "").strip() or None
    incoming = IncomingReport(
        channel=Channel.OPEN311,
        text=description.strip(),
        type_code=code,
        lon=lon,
        lat=lat,
        contact=Contact(phone=phone) if phone else None,
        media=media,
        attachments=attachments,
        submitted_by="portal",
        source=Source.CITIZEN,
        token=token,
        chain=chain,
    )
    outcome = await container.batcher.submit(incoming)
    container.bus.relay()
    return {
        "service_request_id": outcome.report.ref,
        "token": token,
        "merged": outcome.merged,
        "state": outcome.event.state.value,
    }
