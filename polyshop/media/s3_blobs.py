"""The blob store in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, R2, …).

S3 gives the port's guarantees itself: a PUT is atomic (readers see the old object or the
new one), and a PUT of the same key again moves its LastModified, which is how a re-put
refreshes a blob for the garbage job's grace. Failures speak the port's language: a
connection error, a timeout, a 5xx or a refused credential is BlobStoreUnavailable, a
missing object BlobNotFound.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from polyshop.media.blob_keys import (
    OCTET_STREAM,
    content_type_for,
    is_content_addressed,
    validate_key,
)
from polyshop.media.ports import BlobInfo, BlobNotFound, BlobStoreUnavailable, PresignedUpload

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

#: A content-addressed key's bytes never change: browsers and CDNs may keep them for good.
IMMUTABLE = "public, max-age=31536000, immutable"
_MISSING = {"NoSuchKey", "404", "NotFound"}


@contextmanager
def _speaking_the_port(what: str) -> Iterator[None]:
    """botocore's failures as the port's: BlobNotFound for a missing object, and
    BlobStoreUnavailable for everything the caller can only retry or report (network,
    timeouts, 5xx, refused credentials, a missing bucket)."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            raise BlobNotFound(what) from error
        raise BlobStoreUnavailable(f"S3 refused {what}: {error}") from error
    except ParamValidationError:
        raise
    except BotoCoreError as error:
        raise BlobStoreUnavailable(f"S3 did not answer {what}: {error}") from error


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        public_base_url: str | None = None,
        connect_timeout: float = 3.0,
        read_timeout: float = 20.0,
        max_attempts: int = 3,
    ) -> None:
        """Credentials left None come from boto3's own chain (AWS_ACCESS_KEY_ID and
        AWS_SECRET_ACCESS_KEY, a profile, an instance role). A non-AWS endpoint is addressed
        path-style (`<endpoint>/<bucket>/<key>`): SeaweedFS and MinIO need no DNS per bucket.
        `public_base_url` is where browsers fetch keys directly (a CDN, or the bucket itself
        when it is public); None means polyshop proxies them."""
        self.bucket = bucket
        self._region = region
        self._public_base_url = public_base_url.rstrip("/") if public_base_url else None
        config = Config(
            region_name=region,
            signature_version="s3v4",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        self._client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=config,
        )

    def put(self, key: str, data: bytes, content_type: str) -> BlobInfo:
        """One PUT, also when the key exists: S3 has no cheaper way to move LastModified
        (a copy onto itself is a request too), and the bytes of a content address are the
        same. `modified` is the store's clock (its Date header)."""
        extra: dict[str, Any] = {"CacheControl": IMMUTABLE} if is_content_addressed(key) else {}
        with _speaking_the_port(f"put {key!r}"):
            answer = self._client.put_object(
                Bucket=self.bucket,
                Key=validate_key(key),
                Body=data,
                ContentType=content_type,
                **extra,
            )
        date = answer["ResponseMetadata"].get("HTTPHeaders", {}).get("date")
        modified = parsedate_to_datetime(date) if date else datetime.now(UTC)
        return BlobInfo(key, len(data), content_type, modified)

    def get(self, key: str) -> bytes:
        with _speaking_the_port(f"get {key!r}"):
            answer = self._client.get_object(Bucket=self.bucket, Key=validate_key(key))
            return answer["Body"].read()

    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes `start` to `end` inclusive; what exists of them (nothing, past the end:
        S3's 416 for an existing object)."""
        if start < 0 or end < start:
            raise ValueError(f"not a byte range: {start}-{end}")
        with _speaking_the_port(f"read {key!r}"):
            try:
                answer = self._client.get_object(
                    Bucket=self.bucket, Key=validate_key(key), Range=f"bytes={start}-{end}"
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "InvalidRange":
                    return b""
                raise
            return answer["Body"].read()

    def stat(self, key: str) -> BlobInfo | None:
        try:
            with _speaking_the_port(f"stat {key!r}"):
                head = self._client.head_object(Bucket=self.bucket, Key=validate_key(key))
        except BlobNotFound:
            return None
        content_type = head.get("ContentType") or OCTET_STREAM
        return BlobInfo(key, head["ContentLength"], content_type, head["LastModified"])

    def delete(self, key: str) -> None:
        """S3 answers a delete of a missing key with success, as the port wants."""
        with _speaking_the_port(f"delete {key!r}"):
            self._client.delete_object(Bucket=self.bucket, Key=validate_key(key))

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Page through the listing. A listing carries no content type, so each blob's is
        the one its key's extension names (the same answer the file store gives)."""
        pages = self._client.get_paginator("list_objects_v2")
        with _speaking_the_port(f"list {prefix!r}"):
            for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    key = item["Key"]
                    yield BlobInfo(key, item["Size"], content_type_for(key), item["LastModified"])

    def presigned_put(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedUpload:
        """A SigV4-signed PUT URL with the content type signed: the client must send exactly
        that Content-Type or S3 answers 403.

        A presigned PUT cannot bound the size (only a presigned POST's policy can, and the
        port's upload is a URL, a method and headers, not a form), so `max_bytes` is not
        enforced here: the caller checks the blob's size when the upload is attached, and
        deletes what is too big."""
        with _speaking_the_port(f"sign {key!r}"):
            url = self._client.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": validate_key(key),
                    "ContentType": content_type,
                },
                ExpiresIn=expires_in,
                HttpMethod="PUT",
            )
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
        return PresignedUpload(url, "PUT", {"Content-Type": content_type}, expires_at)

    def public_url(self, key: str) -> str | None:
        validate_key(key)
        if self._public_base_url is None:
            return None
        return f"{self._public_base_url}/{quote(key, safe='/')}"

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (the composition root calls this at start)."""
        with _speaking_the_port(f"open bucket {self.bucket!r}"):
            try:
                self._client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket"}:
                    raise
            try:
                if self._region == "us-east-1":
                    self._client.create_bucket(Bucket=self.bucket)
                else:
                    self._client.create_bucket(
                        Bucket=self.bucket,
                        CreateBucketConfiguration={"LocationConstraint": self._region},  # type: ignore[typeddict-item]
                    )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                    raise

    def check(self) -> None:
        """The bucket answers (and exists: made if missing, so a store that started while
        S3 was down heals when it comes back)."""
        self.ensure_bucket()

    def close(self) -> None:
        self._client.close()
