"""The files of pipeline versions: each distinct content stored once (zlib-compressed, keyed by
its sha256), and each version's list of paths, kinds and contents."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from .sessions import StoreSessions
from .tables import BlobRow, VersionFileRow
from .types import CapturedFile, VersionFile


def add_version_files(session: Session, version_id: int, files: Sequence[CapturedFile]) -> None:
    """List ``files`` under the version row ``version_id``, storing contents not stored yet."""
    digests = {captured.file.digest for captured in files}
    known = set(session.scalars(select(BlobRow.digest).where(BlobRow.digest.in_(digests))))
    for captured in files:
        digest = captured.file.digest
        if digest not in known:
            session.add(
                BlobRow(digest=digest, size=len(captured.data), data=zlib.compress(captured.data))
            )
            known.add(digest)
    session.flush()  # blobs before the rows that refer to them
    for captured in files:
        file = captured.file
        session.add(
            VersionFileRow(
                version_id=version_id, path=file.path, kind=file.kind, digest=file.digest
            )
        )


def version_files(
    session: Session, version_ids: Iterable[int]
) -> dict[int, tuple[VersionFile, ...]]:
    """The files of each version row, by row id (in the order they were recorded)."""
    found: dict[int, list[VersionFile]] = {}
    query = (
        select(VersionFileRow)
        .where(VersionFileRow.version_id.in_(list(version_ids)))
        .order_by(VersionFileRow.id)
    )
    for row in session.scalars(query):
        found.setdefault(row.version_id, []).append(VersionFile(row.path, row.kind, row.digest))
    return {key: tuple(value) for key, value in found.items()}


class BlobsMixin(StoreSessions):
    """Mixed into ``Store``."""

    def read_blob(self, digest: str) -> bytes:
        """The content stored under ``digest``; NotFoundError when none is."""
        with self._reads() as session:
            data = session.scalar(select(BlobRow.data).where(BlobRow.digest == digest))
        if data is None:
            raise NotFoundError(f"no stored file content {digest[:12]}")
        return zlib.decompress(data)
