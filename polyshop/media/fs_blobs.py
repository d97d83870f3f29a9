"""The blob store on local disk: embedded mode's, and server mode's when no S3 bucket is set.

Each blob is one file under the root, in a folder named after the first two characters of
its name (`ab/abcdef….jpg`, `uploads/x7/x7Q…`), so no folder grows to hundreds of thousands
of entries as the catalog does. A write goes to a temporary file in the target folder, is
flushed to disk and renamed over the target: a crash leaves the old blob or none, never half
of one, and a reader never opens a file still being written. A temporary file a crash left
behind starts with `.tmp-` and is never listed (keys cannot start with a dot).

The content type is the one the key's extension names: there is no sidecar to keep in step
with the file, and polyshop's keys carry the extension of what they hold.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG

from polyshop.media.blob_keys import content_type_for, validate_key
from polyshop.media.ports import BlobInfo, BlobNotFound, BlobStoreUnavailable, PresignedUpload

TEMPORARY_PREFIX = ".tmp-"
FILE_MODE = 0o644


class FileBlobStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        """Where `key` lives: its folders, then the fan-out folder, then the file."""
        *folders, name = validate_key(key).split("/")
        return self._root.joinpath(*folders, name[:2], name)

    def _key(self, path: Path) -> str | None:
        """The key a file under the root holds, or None for a file that is not a blob."""
        parts = path.relative_to(self._root).parts
        if len(parts) < 2:
            return None
        *folders, fan_out, name = parts
        if name.startswith(".") or fan_out != name[:2]:
            return None
        return "/".join([*folders, name])

    def _info(self, key: str, status: os.stat_result) -> BlobInfo:
        modified = datetime.fromtimestamp(status.st_mtime, UTC)
        return BlobInfo(key, status.st_size, content_type_for(key), modified)

    def put(self, key: str, data: bytes, content_type: str) -> BlobInfo:
        """Store `data` (its type is the one its extension names, whatever `content_type`
        says). The same key put again with as many bytes is a content address seen before:
        only its modified time is moved, for the garbage job's grace."""
        path = self._path(key)
        try:
            try:
                existing = path.stat()
                if S_ISREG(existing.st_mode) and existing.st_size == len(data):
                    os.utime(path)
                    return self._info(key, path.stat())
            except FileNotFoundError:
                pass
            path.parent.mkdir(parents=True, exist_ok=True)
            self._write_atomically(path, data)
            return self._info(key, path.stat())
        except OSError as error:
            raise BlobStoreUnavailable(f"cannot write blob {key!r}: {error}") from error

    @staticmethod
    def _write_atomically(path: Path, data: bytes) -> None:
        descriptor, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fchmod(file.fileno(), FILE_MODE)
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a power cut
        finally:
            os.close(folder)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as error:
            raise BlobNotFound(key) from error
        except OSError as error:
            raise BlobStoreUnavailable(f"cannot read blob {key!r}: {error}") from error

    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes `start` to `end` inclusive; what exists of them (nothing, past the end)."""
        if start < 0 or end < start:
            raise ValueError(f"not a byte range: {start}-{end}")
        path = self._path(key)
        try:
            with path.open("rb") as file:
                file.seek(start)
                return file.read(end - start + 1)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as error:
            raise BlobNotFound(key) from error
        except OSError as error:
            raise BlobStoreUnavailable(f"cannot read blob {key!r}: {error}") from error

    def stat(self, key: str) -> BlobInfo | None:
        path = self._path(key)
        try:
            status = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            raise BlobStoreUnavailable(f"cannot stat blob {key!r}: {error}") from error
        return self._info(key, status) if S_ISREG(status.st_mode) else None

    def delete(self, key: str) -> None:
        """Remove the file; its (maybe now empty) folder stays, for the next blob that lands
        there: removing it could race a concurrent put into it."""
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except (NotADirectoryError, IsADirectoryError):
            return
        except OSError as error:
            raise BlobStoreUnavailable(f"cannot delete blob {key!r}: {error}") from error

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Walk the whole tree (a blob's folder depends on its name, not its prefix) and
        yield the blobs whose keys start with `prefix`; files deleted meanwhile are left out."""
        for folder, _, names in os.walk(self._root):
            for name in names:
                path = Path(folder, name)
                key = self._key(path)
                if key is None or not key.startswith(prefix):
                    continue
                try:
                    status = path.stat()
                except FileNotFoundError:
                    continue
                except OSError as error:
                    raise BlobStoreUnavailable(f"cannot list blobs: {error}") from error
                yield self._info(key, status)

    def presigned_put(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedUpload | None:
        """None: a disk has no URL of its own; polyshop receives the upload and signs it."""
        validate_key(key)
        return None

    def public_url(self, key: str) -> str | None:
        """None: polyshop serves these files itself under /media/."""
        validate_key(key)
        return None

    def check(self) -> None:
        """The root exists (made if need be) and a file can be written, synced and removed
        in it: what a full or read-only disk would refuse."""
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(prefix=TEMPORARY_PREFIX, dir=self._root) as probe:
                probe.write(b"ok")
                probe.flush()
                os.fsync(probe.fileno())
        except OSError as error:
            message = f"blob folder {self._root} is not writable: {error}"
            raise BlobStoreUnavailable(message) from error

    def close(self) -> None:
        """Nothing is held open between calls."""
