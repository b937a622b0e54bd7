"""S3 blob store. boto3 is synchronous: every call that does I/O runs in a worker thread."""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
import msgspec
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from inspect_api.errors import ServiceUnavailable
from inspect_api.settings import S3Settings

_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class BlobInfo(msgspec.Struct, frozen=True):
    key: str
    size: int
    content_type: str
    etag: str


class FetchedBlob(msgspec.Struct, frozen=True):
    """Metadata and bytes from one GET; `data` is None when the object is larger than asked for."""

    info: BlobInfo
    data: bytes | None


class PresignedPost(msgspec.Struct, frozen=True):
    url: str
    fields: dict[str, str]


def make_s3_client(settings: S3Settings, *, endpoint_url: str | None = None) -> BaseClient:
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        # SeaweedFS and MinIO do not all speak the newer default CRC checksums.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # An S3 outage must fail a request in seconds, not hang it.
        connect_timeout=2,
        read_timeout=10,
        retries={"max_attempts": 2, "mode": "standard"},
        max_pool_connections=32,
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or settings.endpoint_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        config=config,
    )


def _is_not_found(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _NOT_FOUND_CODES


class BlobStore:
    """The one place that talks to S3; callers get Structs and domain errors, never botocore types."""

    def __init__(self, settings: S3Settings) -> None:
        self.bucket = settings.bucket
        self._client = make_s3_client(settings)
        # Presigned URLs are signed for the host the phone will use.
        self._public_client = (
            make_s3_client(settings, endpoint_url=settings.public_endpoint_url)
            if settings.public_endpoint_url
            else self._client
        )

    async def _run(self, fn: Any, /, **kwargs: Any) -> Any:
        return await self._in_thread(lambda: fn(Bucket=self.bucket, **kwargs))

    async def _in_thread(self, call: Any) -> Any:
        """Run a blocking boto3 call in a worker thread; map outages to ServiceUnavailable."""
        try:
            return await asyncio.to_thread(call)
        except ClientError as exc:
            if _is_not_found(exc):
                raise
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status >= 500 or status in (401, 403):
                raise ServiceUnavailable(f"S3 refused the request ({status})") from exc
            raise
        except BotoCoreError as exc:  # connection refused, timeouts, ...
            raise ServiceUnavailable(f"S3 is unreachable: {type(exc).__name__}") from exc

    async def check_bucket(self) -> None:
        await self._run(self._client.head_bucket)

    async def head(self, key: str) -> BlobInfo | None:
        try:
            meta = await self._run(self._client.head_object, Key=key)
        except ClientError as exc:
            if _is_not_found(exc):
                return None
            raise
        return BlobInfo(
            key=key,
            size=int(meta["ContentLength"]),
            content_type=str(meta.get("ContentType", "")),
            etag=str(meta.get("ETag", "")).strip('"'),
        )

    async def fetch(self, key: str, max_bytes: int) -> FetchedBlob | None:
        """HEAD and GET in one request: the size and type come from the same response as the bytes,
        so nothing can change between the check and the read. None when the object does not exist."""

        def get() -> FetchedBlob | None:
            try:
                response = self._client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _is_not_found(exc):
                    return None
                raise
            info = BlobInfo(
                key=key,
                size=int(response["ContentLength"]),
                content_type=str(response.get("ContentType", "")),
                etag=str(response.get("ETag", "")).strip('"'),
            )
            if info.size > max_bytes:
                response["Body"].close()  # do not download what will be refused
                return FetchedBlob(info=info, data=None)
            return FetchedBlob(info=info, data=response["Body"].read())

        return await self._in_thread(get)

    async def read_prefix(self, key: str, length: int) -> bytes:
        response = await self._run(self._client.get_object, Key=key, Range=f"bytes=0-{length - 1}")
        return await asyncio.to_thread(response["Body"].read)

    async def read(self, key: str) -> bytes:
        response = await self._run(self._client.get_object, Key=key)
        return await asyncio.to_thread(response["Body"].read)

    async def put(self, key: str, body: bytes, content_type: str) -> None:
        await self._run(self._client.put_object, Key=key, Body=body, ContentType=content_type)

    async def delete(self, key: str) -> None:
        await self._run(self._client.delete_object, Key=key)

    def presign_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> PresignedPost:
        """Local signing, no I/O: S3 itself enforces the key, type and size conditions."""
        post = self._public_client.generate_presigned_post(
            self.bucket,
            key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        return PresignedPost(url=post["url"], fields=post["fields"])

    def presign_get(self, key: str, expires_in: int) -> str:
        return self._public_client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )


def ensure_bucket(settings: S3Settings) -> None:
    """Create the bucket if missing (dev and tests; production buckets are provisioned)."""
    client = make_s3_client(settings)
    try:
        client.head_bucket(Bucket=settings.bucket)
    except ClientError:
        client.create_bucket(Bucket=settings.bucket)
