"""Attachments: photos and videos from the field, checked by content and size, kept on disk."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from cityloop.domain.clock import Clock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.event import Attachment
from cityloop.services.handlers import UowFactory
from cityloop.services.ports import Upload

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Kind:
    content_type: str
    extension: str
    max_bytes: int


IMAGE_LIMIT = 10 * MB
VIDEO_LIMIT = 100 * MB

KINDS = {
    "image/jpeg": Kind("image/jpeg", "jpg", IMAGE_LIMIT),
    "image/png": Kind("image/png", "png", IMAGE_LIMIT),
    "image/webp": Kind("image/webp", "webp", IMAGE_LIMIT),
    "video/mp4": Kind("video/mp4", "mp4", VIDEO_LIMIT),
    "video/quicktime": Kind("video/quicktime", "mov", VIDEO_LIMIT),
}


def sniff(data: bytes) -> str | None:
    """The real content type from the file's first bytes (never trust the client's label)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    return None


class UploadService:
    def __init__(self, uow: UowFactory, clock: Clock, directory: Path) -> None:
        self.uow = uow
        self.clock = clock
        self.directory = Path(directory)

    def save(self, name: str, data: bytes, uploaded_by: str) -> Upload:
        content_type = sniff(data)
        if content_type is None:
            allowed = ", ".join(sorted(KINDS))
            raise InvalidCommand(f"'{name}' is not a supported photo or video ({allowed})")
        kind = KINDS[content_type]
        if len(data) > kind.max_bytes:
            raise InvalidCommand(
                f"'{name}' is {len(data) / MB:.1f} MB; {content_type} files may be at most "
                f"{kind.max_bytes // MB} MB"
            )
        if not data:
            raise InvalidCommand("the file is empty")
        key = f"{secrets.token_hex(16)}.{kind.extension}"
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f".{key}.part"
        tmp.write_bytes(data)
        upload = Upload(
            key=key,
            name=Path(name).name[:300] or key,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=uploaded_by,
            created_at=self.clock.now(),
        )
        try:
            with self.uow() as uow:
                uow.uploads.add(upload)
                uow.commit()
        except Exception:
            tmp.unlink(missing_ok=True)
            raise
        tmp.rename(self.directory / key)
        return upload

    def path(self, key: str) -> Path | None:
        if "/" in key or key.startswith("."):
            return None
        path = self.directory / key
        return path if path.is_file() else None

    def attachments(self, keys: list[str] | tuple[str, ...]) -> tuple[Attachment, ...]:
        """The stored uploads for ``keys`` as event attachments; unknown keys are an error."""
        out = []
        with self.uow() as uow:
            for key in keys:
                upload = uow.uploads.get(key)
                if upload is None:
                    raise InvalidCommand(f"unknown attachment '{key}': upload it first")
                out.append(
                    Attachment(
                        name=upload.name,
                        content_type=upload.content_type,
                        size=upload.size,
                        key=upload.key,
                        uploaded_by=upload.uploaded_by,
                        uploaded_at=upload.created_at,
                    )
                )
        return tuple(out)

    def get(self, key: str) -> Upload | None:
        with self.uow() as uow:
            return uow.uploads.get(key)
