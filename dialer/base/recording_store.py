"""Where call recordings live: files under a folder, or any S3-compatible object store.

Both back-ends commit an upload whole or not at all. The folder store renames a
finished file into place (a rename is atomic within a file system); the S3 store sends
the finished file in one PUT, which the store makes visible only once all of it has
arrived. Either way the upload was first written to a spool file on this machine and
checked there, so a half-sent body never reaches the store.
"""

import asyncio
import contextlib
import errno
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlsplit

from botocore.exceptions import ClientError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.errors import RecordingMissing
from dialer.base.models import Recording
from dialer.base.settings import Settings

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

CHUNK = 64 * 1024
STORE_KEY = "cascade.recording_store"


class RecordingStore(Protocol):
    """What the service needs of a place to keep audio."""

    spool: Path

    async def put(self, key: str, source: Path, content_type: str) -> None:
        """Keep the finished file under the key (it may be moved away)."""

    async def open(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes start..end (inclusive) of the key; RecordingMissing when it is gone."""

    async def delete(self, key: str) -> None:
        """Remove the key; a key already gone is fine."""

    async def exists(self, key: str) -> bool:
        """Whether the store holds the key."""


class FileStore:
    """Recordings as files under a folder: `<root>/<key>`."""

    def __init__(self, root: Path, spool: Path | None = None) -> None:
        self.root = root
        self.spool = spool or root / ".incoming"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"the key {key!r} leaves the store")
        return path

    async def put(self, key: str, source: Path, content_type: str) -> None:
        await asyncio.to_thread(self._put, self._path(key), source)

    @staticmethod
    def _put(target: Path, source: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            # Another file system: copy beside the target first, then rename it into place.
            partial = target.with_name(f".{uuid.uuid4().hex}.partial")
            shutil.copyfile(source, partial)
            _fsync(partial)
            os.replace(partial, target)
        _fsync(target.parent)

    async def open(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError as error:
            raise RecordingMissing() from error
        return _file_chunks(handle, start, end)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, self._path(key))

    def _delete(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        # The attempt's folder goes with its last recording.
        if path.parent != self.root.resolve():
            with contextlib.suppress(OSError):
                path.parent.rmdir()

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)


async def _file_chunks(handle: Any, start: int, end: int) -> AsyncIterator[bytes]:
    try:
        await asyncio.to_thread(handle.seek, start)
        left = end - start + 1
        while left > 0:
            chunk: bytes = await asyncio.to_thread(handle.read, min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class S3Place:
    """An S3 bucket and key prefix, with how to reach the store."""

    bucket: str
    prefix: str = ""
    endpoint: str | None = None
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = None


class S3Store:
    """Recordings as objects of an S3-compatible store: `s3://<bucket>/<prefix>/<key>`."""

    def __init__(self, place: S3Place, spool: Path) -> None:
        self.place = place
        self.spool = spool
        # Here, not at the top: its 0.3 s of imports (aiohttp among them) would be paid by
        # every start of the service and the command line, most of which keep files.
        from aiobotocore.session import get_session

        self._session = get_session()

    def _client(self) -> "AbstractAsyncContextManager[S3Client]":
        # Credentials left unset fall back to botocore's own chain (environment, profile).
        client = self._session.create_client(
            "s3",
            endpoint_url=self.place.endpoint,
            region_name=self.place.region,
            aws_access_key_id=self.place.access_key,
            aws_secret_access_key=self.place.secret_key,
        )
        return cast("AbstractAsyncContextManager[S3Client]", client)

    def _key(self, key: str) -> str:
        return f"{self.place.prefix}/{key}" if self.place.prefix else key

    async def put(self, key: str, source: Path, content_type: str) -> None:
        async with self._client() as s3:
            with source.open("rb") as body:
                await s3.put_object(
                    Bucket=self.place.bucket,
                    Key=self._key(key),
                    Body=body,
                    ContentType=content_type,
                )
        source.unlink(missing_ok=True)

    async def open(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        stack = AsyncExitStack()
        s3 = await stack.enter_async_context(self._client())
        try:
            answer = await s3.get_object(
                Bucket=self.place.bucket, Key=self._key(key), Range=f"bytes={start}-{end}"
            )
        except ClientError as error:
            await stack.aclose()
            if _missing(error):
                raise RecordingMissing() from error
            raise
        return _object_chunks(stack, answer["Body"])

    async def delete(self, key: str) -> None:
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.place.bucket, Key=self._key(key))

    async def exists(self, key: str) -> bool:
        async with self._client() as s3:
            try:
                await s3.head_object(Bucket=self.place.bucket, Key=self._key(key))
            except ClientError as error:
                if _missing(error):
                    return False
                raise
        return True


async def _object_chunks(stack: AsyncExitStack, body: Any) -> AsyncIterator[bytes]:
    async with stack, body as stream:
        while chunk := await stream.read(CHUNK):
            yield chunk


def _missing(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


def store_from(settings: Settings) -> RecordingStore:
    """The store the settings name: a folder by default, `s3://bucket/prefix` otherwise."""
    url = settings.recordings_url
    spool = Path(settings.recordings_spool) if settings.recordings_spool else None
    parts = urlsplit(url)
    if parts.scheme == "s3":
        place = S3Place(
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint=settings.recordings_s3_endpoint,
            region=settings.recordings_s3_region,
            access_key=settings.recordings_s3_access_key,
            secret_key=settings.recordings_s3_secret_key,
        )
        return S3Store(place, spool or Path("var") / "recordings-incoming")
    if parts.scheme == "file":
        return FileStore(Path(parts.path), spool)
    if parts.scheme:
        raise ValueError(f"CASCADE_RECORDINGS_URL must be a folder, file:// or s3://, not {url!r}")
    return FileStore(Path(url), spool)


def bind_store(maker: async_sessionmaker[AsyncSession], store: RecordingStore) -> None:
    """Make every session of the maker carry the store (for the scheduler's jobs)."""
    info = dict(maker.kw.get("info") or {})
    maker.configure(info={**info, STORE_KEY: store})


def store_of(session: AsyncSession) -> RecordingStore | None:
    """The store bound to the session's maker, if any."""
    store = session.info.get(STORE_KEY)
    return cast(RecordingStore, store) if store is not None else None


async def forget(session: AsyncSession, store: RecordingStore, rows: Sequence[Recording]) -> int:
    """Delete the recordings' audio from the store, then their rows; how many.

    The audio goes first: if the transaction then fails, the rows stay and the next
    run deletes them (deleting audio already gone is fine); the reverse order could
    leave audio no row points to, which nothing would ever delete.
    """
    for row in rows:
        await store.delete(row.key)
    if rows:
        await session.execute(delete(Recording).where(Recording.id.in_([r.id for r in rows])))
    return len(rows)
