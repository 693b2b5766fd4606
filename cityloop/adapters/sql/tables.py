"""The relational schema, one for SQLite and PostgreSQL (SQLAlchemy Core).

Alembic migrations in ``migrations/`` create exactly these tables; a test compares them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from cityloop.adapters.sql.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

reporters = Table(
    "reporters",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200)),
    Column("phone", String(64)),
    Column("email", String(320)),
    Column("device_id", String(200)),
    Column("created_at", UTCDateTime(), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("ref", String(40), nullable=False, unique=True),
    Column("source", String(20), nullable=False),
    Column("type_code", String(20)),
    Column("severity", String(3), nullable=False),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("state", String(20), nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("city_code", String(40)),
    Column("district_code", String(40)),
    Column("street_code", String(40)),
    Column("community_code", String(40)),
    Column("grid_code", String(40)),
    Column("address", String(500)),
    Column("reporter_id", String(36), ForeignKey("reporters.id")),
    Column("lead_unit", String(40)),
    Column("co_units", JSON, nullable=False),
    Column("handling_level", String(20), nullable=False),
    Column("accept_by", UTCDateTime()),
    Column("dispose_by", UTCDateTime()),
    Column("parent_id", String(36), ForeignKey("events.id")),
    Column("warning_ids", JSON, nullable=False),
    Column("report_ids", JSON, nullable=False),
    Column("attachments", JSON, nullable=False),
    Column("board", String(4)),
    Column("suggestion", JSON),
    Column("triage_reasons", JSON, nullable=False),
    Column("co_feedback", JSON, nullable=False),
    Column("lead_resolved_at", UTCDateTime()),
    Column("dispatched_at", UTCDateTime()),
    Column("warn_at", UTCDateTime()),
    Column("due_at", UTCDateTime()),
    Column("supervision", String(10), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    #: The fine map cell of the point (see ``counters.map_cell``), for viewport lookups.
    Column("map_cell", BigInteger().with_variant(Integer, "sqlite")),
    # (state) alone: ix_events_state_created's leading column; (type_code): ix_events_dedup's
    Index("ix_events_warn_at", "warn_at"),
    Index("ix_events_due_at", "due_at"),
    Index("ix_events_dedup", "type_code", "lat", "lon", "created_at"),
    Index("ix_events_supervision", "supervision", "handling_level"),
    Index("ix_events_overdue", "supervision", "state", "dispose_by"),
    Index("ix_events_overdue_accept", "supervision", "state", "accept_by"),
    Index("ix_events_state_created", "state", "created_at", "id"),
    Index("ix_events_district_created", "district_code", "created_at"),
    Index("ix_events_street_created", "street_code", "created_at"),
    Index("ix_events_community", "community_code"),
    Index("ix_events_grid", "grid_code"),
    Index("ix_events_lead", "lead_unit"),
    Index("ix_events_created_id", "created_at", "id"),
    Index("ix_events_parent", "parent_id"),
    Index("ix_events_map_cell", "state", "map_cell"),
    Index("ix_events_updated", "updated_at"),
)

event_units = Table(
    "event_units",
    metadata,
    Column("event_id", String(36), ForeignKey("events.id"), primary_key=True),
    Column("department", String(40), primary_key=True),
    Column("role", String(10), nullable=False),
    Index("ix_event_units_department", "department", "event_id"),
)

event_timeline = Table(
    "event_timeline",
    metadata,
    Column("event_id", String(36), ForeignKey("events.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("action", String(30), nullable=False),
    Column("from_state", String(20)),
    Column("to_state", String(20), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("role", String(30), nullable=False),
    Column("unit", String(40)),
    Column("note", Text),
    Column("payload", JSON, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("aggregate_id", String(200), nullable=False),
    Column("name", String(60), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("published_at", UTCDateTime()),
    Index("ix_outbox_unpublished", "published_at", "id"),
)

id_sequences = Table(
    "id_sequences",
    metadata,
    Column("scope", String(40), primary_key=True),
    Column("last", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("role", String(30), nullable=False),
    Column("jurisdiction", String(40), nullable=False),
    Column("department", String(40)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
)


reports = Table(
    "reports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("ref", String(40), nullable=False, unique=True),
    Column("channel", String(20), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("title", String(500), nullable=False),
    Column("text", Text, nullable=False),
    Column("type_code", String(20)),
    Column("lon", Float),
    Column("lat", Float),
    Column("address", String(500)),
    Column("reporter_id", String(36), ForeignKey("reporters.id")),
    Column("attributes", JSON, nullable=False),
    Column("media", JSON, nullable=False),
    Column("external_id", String(200)),
    Column("submitted_by", String(100)),
    Column("event_id", String(36), ForeignKey("events.id")),
    Column("token", String(64), unique=True),
    Column("citizen_token_hash", String(64), unique=True),
    Index("ix_reports_event", "event_id"),
    Index("ix_reports_received", "received_at"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(12), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Column("last_used_at", UTCDateTime()),
)

notifications = Table(
    "notifications",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("recipient_kind", String(10), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("district_code", String(40)),
    Column("street_code", String(40)),
    Column("event_id", String(36)),
    Column("kind", String(30), nullable=False),
    Column("title", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(1000)),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", Text),
    Column("sent_at", UTCDateTime()),
    Column("read_at", UTCDateTime()),
    Index("ix_notifications_recipient", "recipient_kind", "recipient", "id"),
    Index("ix_notifications_pending", "status", "channel", "id"),
)

ratings = Table(
    "ratings",
    metadata,
    Column("report_id", String(36), ForeignKey("reports.id"), primary_key=True),
    Column("event_id", String(36), ForeignKey("events.id"), nullable=False),
    Column("score", Integer, nullable=False),
    Column("comment", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_ratings_event", "event_id"),
)

uploads = Table(
    "uploads",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


warnings = Table(
    "warnings",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("rule_id", String(100), nullable=False),
    Column("rule_type", String(30), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("subject_kind", String(10), nullable=False),
    Column("level", String(10), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("confirmation", String(12), nullable=False),
    Column("predicted", Boolean, nullable=False),
    Column("anomaly", Boolean, nullable=False),
    Column("event_type", String(20)),
    Column("event_at", String(10)),
    Column("event_id", String(36)),
    Column("lon", Float),
    Column("lat", Float),
    Column("city_code", String(40)),
    Column("district_code", String(40)),
    Column("street_code", String(40)),
    Column("community_code", String(40)),
    Column("grid_code", String(40)),
    Column("value", Float),
    Column("threshold", Float),
    Column("sequence", Integer, nullable=False),
    Column("history", JSON, nullable=False),
    Column("raised_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("cleared_at", UTCDateTime()),
    Column("version", Integer, nullable=False),
    Index("ix_warnings_active", "active", "level"),
    Index("ix_warnings_confirmation", "confirmation"),
    Index("ix_warnings_district", "district_code", "active"),
    Index("ix_warnings_rule", "rule_id", "confirmation"),
)

engine_checkpoints = Table(
    "engine_checkpoints",
    metadata,
    Column("partition", String(40), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("saved_at", UTCDateTime(), nullable=False),
    #: The last bus message (stream sequence) folded into `data`; replay resumes after it.
    Column("stream_seq", BigInteger, nullable=False, server_default="0"),
    Column("owner", String(80), nullable=False, server_default=""),
)


vital_signs = Table(
    "vital_signs",
    metadata,
    Column("at", UTCDateTime(), primary_key=True),
    Column("resolution", String(6), primary_key=True),
    Column("jurisdiction", String(40), primary_key=True),
    Column("values", JSON, nullable=False),
    Index("ix_vital_signs_lookup", "jurisdiction", "resolution", "at"),
)


plan_activations = Table(
    "plan_activations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("plan_id", String(60), nullable=False),
    Column("level", String(3), nullable=False),
    Column("status", String(12), nullable=False),
    Column("jurisdiction", String(40), nullable=False),
    Column("activated_by", String(100), nullable=False),
    Column("activated_role", String(30), nullable=False),
    Column("reason", Text, nullable=False),
    Column("activated_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("terminated_at", UTCDateTime()),
    Column("event_ids", JSON, nullable=False),
    Column("warning_ids", JSON, nullable=False),
    Column("message", JSON, nullable=False),
    Column("tasks", JSON, nullable=False),
    Column("timeline", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_plan_activations_status", "status", "activated_at"),
    Index("ix_plan_activations_plan", "plan_id", "status"),
)


incident_reviews = Table(
    "incident_reviews",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(500), nullable=False),
    Column("source", String(12), nullable=False),  # event | plan | window
    Column("source_id", String(36)),
    Column("jurisdiction", String(40), nullable=False),
    Column("district_code", String(40)),
    Column("street_code", String(40)),
    Column("window_from", UTCDateTime(), nullable=False),
    Column("window_to", UTCDateTime(), nullable=False),
    Column("findings", JSON, nullable=False),
    Column("lessons", JSON, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_incident_reviews_place", "district_code", "street_code", "created_at"),
)

#: Events per area ('' = all, a district or a street code), dimension (type, severity,
#: supervision, district, street), value ('' = none) and state; kept in step with every event
#: write in the same transaction (see ``counters.py``).
event_counts = Table(
    "event_counts",
    metadata,
    Column("area", String(40), primary_key=True),
    Column("dim", String(12), primary_key=True),
    Column("value", String(40), primary_key=True),
    Column("state", String(20), primary_key=True),
    Column("n", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    sqlite_with_rowid=False,  # one B-tree, the key's, per counter write (0012)
)

#: Located events per area, map cell of 2^res fine cells, and state; kept like ``event_counts``.
event_cells = Table(
    "event_cells",
    metadata,
    Column("area", String(40), primary_key=True),
    Column("res", Integer, primary_key=True),
    Column("cell", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("state", String(20), primary_key=True),
    Column("n", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    sqlite_with_rowid=False,  # one B-tree, the key's, per counter write (0012)
)
