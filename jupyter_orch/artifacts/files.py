"""What kind of file an artifact is (from its name: the lab shows images, previews tables and
links the rest), and the bytes of an image, read within a size bound."""

from __future__ import annotations

import os
from pathlib import PurePath

from ..errors import UnreadableFile
from ..sizes import format_bytes
from .previews import TablePreview, csv_preview, parquet_preview, read_head

#: Images the lab shows inline, and the content type each is served with.
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
#: Tables the lab previews, and their format.
TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
#: The largest image served for a preview (the lab links a larger one instead).
MAX_IMAGE_BYTES = 20 * 2**20


def artifact_type(name: str) -> str:
    """``image``, ``table``, ``notebook`` or ``file``."""
    suffix = PurePath(name).suffix.lower()
    if suffix in IMAGE_TYPES:
        return "image"
    if suffix in TABLE_FORMATS:
        return "table"
    return "notebook" if suffix == ".ipynb" else "file"


def table_preview(fd: int, name: str, shown: str, rows: int) -> TablePreview:
    """The first ``rows`` rows of the table ``name`` (open as ``fd``; ``shown`` in messages)."""
    kind = TABLE_FORMATS.get(PurePath(name).suffix.lower())
    if kind == "parquet":
        return parquet_preview(fd, shown, rows)
    if kind is None:
        raise UnreadableFile(f"{shown}: only CSV and Parquet files have a preview")
    return csv_preview(fd, shown, rows, tab=kind == "tsv")


def image_type(name: str, shown: str) -> str:
    """The content type of the image ``name``; ``UnreadableFile`` for anything else."""
    found = IMAGE_TYPES.get(PurePath(name).suffix.lower())
    if found is None:
        kinds = ", ".join(sorted(IMAGE_TYPES))
        raise UnreadableFile(f"{shown} is not an image ({kinds}): open it in JupyterLab")
    return found


def read_image(fd: int, shown: str) -> bytes:
    """The bytes of the image open as ``fd``, if it is at most ``MAX_IMAGE_BYTES``."""
    size = os.fstat(fd).st_size
    if size > MAX_IMAGE_BYTES:
        raise UnreadableFile(
            f"{shown} is {format_bytes(size)}, larger than the "
            f"{format_bytes(MAX_IMAGE_BYTES)} shown in a run: open it in JupyterLab"
        )
    data = read_head(fd, MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:  # it grew after its size was read
        raise UnreadableFile(f"{shown} grew past {format_bytes(MAX_IMAGE_BYTES)} while read")
    return data
