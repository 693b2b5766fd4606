"""Engine checkpoints of telemetry partitions, saved in the transaction of their warnings.

A checkpoint records the last bus message (stream sequence) folded into the state. It is saved
with compare-and-set on that sequence: a worker that lost its partition (its lease expired while
it was paused) and still tries to save finds the sequence moved and its whole transaction —
warnings included — is rolled back, so two owners can never both write a partition's results.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.services.partitions import SavedCheckpoint
from cityloop.services.ports import ConcurrencyError, UnitOfWork

_c = t.engine_checkpoints


class SqlCheckpointStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self, partition: str) -> SavedCheckpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(_c.c.stream_seq, _c.c.data).where(_c.c.partition == partition)
            ).first()
        return None if row is None else SavedCheckpoint(int(row[0]), bytes(row[1]))

    def save(
        self,
        uow: UnitOfWork,
        partition: str,
        expected_seq: int | None,
        seq: int,
        data: bytes,
        owner: str,
        at: datetime,
    ) -> None:
        """Write in `uow`'s transaction; raise ConcurrencyError when the saved sequence is not
        `expected_seq` (None: no checkpoint yet)."""
        if not isinstance(uow, SqlUnitOfWork):
            raise TypeError("SqlCheckpointStore needs a SqlUnitOfWork")
        values = {"data": data, "saved_at": at, "stream_seq": seq, "owner": owner}
        if expected_seq is None:
            try:  # a failed insert spoils the transaction: the caller's rollback undoes it all
                uow.db.execute(_c.insert().values(partition=partition, **values))
            except sa.exc.IntegrityError:
                raise ConcurrencyError(
                    f"partition {partition} was checkpointed by another"
                ) from None
            return
        done = uow.db.execute(
            _c.update()
            .where(_c.c.partition == partition, _c.c.stream_seq == expected_seq)
            .values(**values)
        )
        if done.rowcount != 1:
            raise ConcurrencyError(f"partition {partition} moved on without this worker")
