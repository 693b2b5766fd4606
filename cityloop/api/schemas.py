"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cityloop.domain.event import Source
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int


class MeOut(BaseModel):
    id: str
    username: str
    role: str
    jurisdiction: str
    jurisdiction_level: str
    department: str | None
    sees_contact_details: bool


class JurisdictionOut(BaseModel):
    code: str
    parent_code: str | None
    level: str
    name: str
    name_zh: str
    name_en: str
    children: list[str]
    geometry: dict[str, Any] | None = None


class TreeNode(BaseModel):
    code: str
    level: str
    name: str
    children: list[TreeNode] = []


class ChainOut(BaseModel):
    inside: bool
    city: str | None = None
    district: str | None = None
    street: str | None = None
    community: str | None = None
    grid: str | None = None
    detail: str | None = None


class LocateIn(Strict):
    points: list[tuple[float, float]] = Field(
        min_length=1, max_length=100_000, description="[[lon, lat], …] in WGS84"
    )


class LocateBatchOut(BaseModel):
    results: list[ChainOut]


class DepartmentOut(BaseModel):
    code: str
    name: str
    name_zh: str
    name_en: str
    category: str


class EventTypeOut(BaseModel):
    code: str
    class_code: str
    name: str
    name_zh: str
    name_en: str
    board: str
    default_severity: str


class ContactIn(Strict):
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=64)
    email: str | None = Field(None, max_length=320)


class EventCreate(Strict):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field("", max_length=10_000)
    source: Source = Source.GRID
    type_code: str | None = None
    severity: Severity | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str | None = Field(None, max_length=500)
    contact: ContactIn | None = None


class LocationOut(BaseModel):
    lon: float | None
    lat: float | None
    address: str | None
    chain: dict[str, str | None] | None


class ReporterOut(BaseModel):
    name: str | None
    phone: str | None
    email: str | None


class EventOut(BaseModel):
    id: str
    ref: str
    state: str
    source: str
    type_code: str | None
    type_name: str | None
    severity: str
    title: str
    description: str
    location: LocationOut
    lead_unit: str | None
    co_units: list[str]
    handling_level: str
    accept_by: datetime | None
    dispose_by: datetime | None
    parent_id: str | None
    warning_ids: list[str]
    report_ids: list[str]
    attachments: list[dict[str, Any]]
    has_reporter: bool
    reporter: ReporterOut | None = None
    created_at: datetime
    updated_at: datetime | None
    version: int
    allowed_actions: list[str]


class EventPageOut(BaseModel):
    items: list[EventOut]
    next_cursor: str | None


class TimelineEntryOut(BaseModel):
    seq: int
    at: datetime
    action: str
    from_state: str | None
    to_state: str
    actor: str
    role: str
    unit: str | None
    note: str | None
    payload: dict[str, Any]


class NoteIn(Strict):
    note: str | None = Field(None, max_length=5_000)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=5_000)


class TriageIn(Strict):
    type_code: str
    severity: Severity | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=5_000)


class DispatchIn(Strict):
    lead_unit: str | None = None
    co_units: list[str] | None = None
    level: HandlingLevel | None = None
    note: str | None = Field(None, max_length=5_000)


class ResolveIn(Strict):
    result: str = Field(min_length=1, max_length=10_000)
    measures: str | None = Field(None, max_length=10_000)
    people: int | None = Field(None, ge=0)
    vehicles: int | None = Field(None, ge=0)
    attachments: list[str] = Field(
        default_factory=list, max_length=20, description="upload keys of photos or videos"
    )


class MergeIn(Strict):
    into: str = Field(description="id or ref of the event that absorbs this duplicate")
    note: str | None = Field(None, max_length=5_000)


class EscalateIn(Strict):
    reason: str = Field(min_length=1, max_length=5_000)
    to_level: HandlingLevel | None = None


class FeedbackIn(Strict):
    result: str = Field(min_length=1, max_length=10_000)
    people: int | None = Field(None, ge=0)
    vehicles: int | None = Field(None, ge=0)
    unit: str | None = Field(None, description="Admins only: the co-unit this is for")


class SplitIn(Strict):
    report_id: str = Field(description="id or ref of the report to split off")
    reason: str = Field(min_length=1, max_length=5_000)


class ReportOut(BaseModel):
    id: str
    ref: str
    channel: str
    received_at: datetime
    title: str
    text: str
    address: str | None
    lon: float | None
    lat: float | None
    media: list[str]
    reporter: ReporterOut | None = None
