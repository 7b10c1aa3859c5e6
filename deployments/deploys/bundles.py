"""DAG bundles: a `.tar.gz` of the DAGs folder, checked before anything is stored, then stored once under its
SHA-256 through Django's storage API (`STORAGES["dag_bundles"]`: the filesystem under VAR_DIR, or an
S3-compatible bucket through django-storages for several web replicas).

The check streams the archive once, never unpacking it to disk: the compressed size, the number of entries, the
unpacked size (a zip bomb stops at the limit, however well it compresses), and every entry's type and path
(regular files and directories only: no links, devices or FIFOs; no absolute paths, no `..`). On the way it
lists every file with its size and SHA-256, which is what diffs compare.
"""

import gzip
import hashlib
import posixpath
import tarfile
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Checked:
    sha256: str
    size: int
    files: dict[str, list]  # path -> [size, sha256]

    @property
    def file_count(self) -> int:
        return len(self.files)


def storage():
    return storages["dag_bundles"]


def storage_name(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256}.tar.gz"


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MiB"


class _Limited:
    """A readable stream that refuses to give more than `limit` bytes: what the unpacked archive may weigh."""

    def __init__(self, raw, limit: int):
        self.raw, self.limit, self.count = raw, limit, 0

    def read(self, size=-1):
        data = self.raw.read(size)
        self.count += len(data)
        if self.count > self.limit:
            raise ValidationError(
                f"The archive unpacks to more than {_mib(self.limit)} (DAG_BUNDLE_MAX_UNPACKED_BYTES): refused."
            )
        return data


def _hash_file(upload) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    while chunk := upload.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def _clean_path(name: str) -> str:
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ValidationError(f"“{name}” is an absolute path: an archive of DAGs holds relative paths only.")
    if "\\" in name or "\x00" in name:
        raise ValidationError(f"“{name!r}” holds a backslash or a NUL byte.")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValidationError(f"“{name}” climbs out of the DAGs folder (..).")
    return "/".join(parts)


def check(upload) -> Checked:
    """The archive's digest, size and listing; ValidationError (a sentence) when it is refused."""
    sha256, size = _hash_file(upload)
    if size > settings.DAG_BUNDLE_MAX_BYTES:
        raise ValidationError(
            f"The archive is {_mib(size)}; the limit is {_mib(settings.DAG_BUNDLE_MAX_BYTES)} (DAG_BUNDLE_MAX_BYTES)."
        )
    files: dict[str, list] = {}
    entries = 0
    stream = _Limited(gzip.GzipFile(fileobj=upload, mode="rb"), settings.DAG_BUNDLE_MAX_UNPACKED_BYTES)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                entries += 1
                if entries > settings.DAG_BUNDLE_MAX_FILES:
                    raise ValidationError(
                        f"The archive holds more than {settings.DAG_BUNDLE_MAX_FILES} entries (DAG_BUNDLE_MAX_FILES)."
                    )
                path = _clean_path(member.name)
                if member.issym() or member.islnk():
                    raise ValidationError(f"“{member.name}” is a link: only regular files and directories are allowed.")
                if member.isdir():
                    continue
                if not member.isreg():
                    raise ValidationError(
                        f"“{member.name}” is a device, FIFO or other special file: only regular files and "
                        "directories are allowed."
                    )
                if not path:
                    raise ValidationError("The archive holds a file without a name.")
                if path in files:
                    raise ValidationError(f"“{path}” appears twice in the archive.")
                digest, length = hashlib.sha256(), 0
                reader = archive.extractfile(member)
                while chunk := reader.read(CHUNK):
                    digest.update(chunk)
                    length += len(chunk)
                files[path] = [length, digest.hexdigest()]
        while stream.read(CHUNK):  # to the gzip trailer: a truncated or corrupted archive fails its CRC here
            pass
    except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError, OSError) as error:
        raise ValidationError(f"This is not a readable .tar.gz archive ({type(error).__name__}).") from None
    finally:
        upload.seek(0)
    for path in files:  # a file may not also be a directory of another entry's path
        parent = posixpath.dirname(path)
        while parent:
            if parent in files:
                raise ValidationError(f"“{parent}” is both a file and a directory in the archive.")
            parent = posixpath.dirname(parent)
    return Checked(sha256=sha256, size=size, files=dict(sorted(files.items())))


def store(upload, sha256: str) -> str:
    """Saves the archive under its digest unless it is there already (same digest, same bytes). Its name."""
    name = storage_name(sha256)
    target = storage()
    if not target.exists(name):
        upload.seek(0)
        saved = target.save(name, upload)
        if saved != name:  # another replica stored the same bytes meanwhile: keep one copy
            target.delete(saved)
    return name


def open_bundle(sha256: str):
    return storage().open(storage_name(sha256), "rb")


def diff_files(before: dict | None, after: dict | None) -> dict:
    """Files added, removed and changed (by content) between two listings, each with its sizes."""
    before, after = before or {}, after or {}
    added = [{"path": path, "size": after[path][0]} for path in sorted(after.keys() - before.keys())]
    removed = [{"path": path, "size": before[path][0]} for path in sorted(before.keys() - after.keys())]
    changed = [
        {"path": path, "size_before": before[path][0], "size_after": after[path][0]}
        for path in sorted(before.keys() & after.keys())
        if before[path][1] != after[path][1]
    ]
    return {"added": added, "removed": removed, "changed": changed}
