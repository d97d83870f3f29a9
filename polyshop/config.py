"""Settings from `POLYSHOP_*` environment variables. No settings at all = embedded mode.

Validated once at start-up (never at import time), so a bad value fails fast with a message
naming the setting.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(StrEnum):
    EMBEDDED = "embedded"
    SERVER = "server"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLYSHOP_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="where embedded mode keeps its files")
    database_url: str | None = Field(
        default=None, description="postgresql://... selects server mode; unset = SQLite"
    )
    read_database_url: str | None = Field(
        default=None, description="optional read replica for read-model queries"
    )
    redis_url: str | None = Field(
        default=None, description="redis://... for sessions and carts; unset = a SQLite file"
    )
    replica_max_lag: float = Field(
        default=5.0,
        ge=0,
        le=86400,
        description="seconds a read replica may trail the primary and still serve reads; "
        "past it, reads go to the primary (reads that ask for min_position go to the "
        "primary whenever the replica has not applied it)",
    )
    replica_check_interval: float = Field(
        default=0.5, gt=0, le=60, description="seconds between probes of the read replica"
    )
    redis_cluster: bool = Field(
        default=False,
        description="POLYSHOP_REDIS_URL names one node of a Redis Cluster (the client finds "
        "the others)",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "info"
    log_json: bool | None = Field(default=None, description="JSON logs; default: when not a tty")
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    run_projections: bool = Field(
        default=True, description="run the projection runner inside this process"
    )
    projection_batch_size: int = Field(default=1000, ge=1, le=100_000)
    projection_poll_interval: float = Field(default=1.0, gt=0, le=60)
    read_wait_timeout: float = Field(
        default=5.0, gt=0, le=60, description="longest a query waits for min_position"
    )
    read_waiters_max: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="queries waiting for min_position at once per process; past it, 503",
    )
    ops_token: str | None = Field(
        default=None, description="bearer token for operator endpoints (admin/projections)"
    )
    metrics_require_token: bool = Field(
        default=False,
        description="/metrics answers only the operator token as a bearer (else 401)",
    )
    db_pool_size: int = Field(default=20, ge=1, le=500)
    sqlite_busy_timeout: float = Field(
        default=10.0, gt=0, le=3600, description="seconds a SQLite write waits for another process"
    )
    redis_prefix: str = Field(
        default="polyshop:",
        max_length=100,
        pattern=r"^[^{}]*$",
        description="prefix of every Redis key (no braces: they pick a cluster's hash slot)",
    )
    session_ttl: float = Field(
        default=14 * 86400, gt=0, description="seconds a session lives unused (sliding)"
    )
    cart_ttl: float = Field(
        default=7 * 86400, gt=0, description="seconds a cart lives after its last change"
    )
    cart_max_lines: int = Field(
        default=250,
        ge=1,
        le=10_000,
        description="different items (lines) one cart may hold; an add past it is a 422",
    )
    checkout_admission: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="buyers of one SKU a process lets into checkout's transactions at once; "
        "the others wait in memory, first come first served",
    )
    checkout_concurrency: int = Field(
        default=32,
        ge=1,
        le=10_000,
        description="checkout requests a process works on at once; later ones wait their "
        "turn in memory, first come first served",
    )
    order_hold: float = Field(
        default=15 * 60, gt=0, description="seconds an unpaid order holds its stock"
    )
    order_subscriptions_max: int = Field(
        default=10_000,
        ge=1,
        description="live order subscriptions (GraphQL orderUpdated) one process serves at "
        "once; past it a subscription is refused (the per-connection cap is 16)",
    )
    order_expiry_interval: float = Field(
        default=5.0, gt=0, le=3600, description="how often unpaid, expired orders are swept"
    )
    nats_url: str | None = Field(
        default=None,
        description="nats://... : publish integration events to NATS JetStream; unset = none",
    )
    nats_stream: str = Field(
        default="POLYSHOP", pattern=r"^[A-Za-z0-9_-]{1,64}$", description="the JetStream stream"
    )
    nats_subject_prefix: str = Field(
        default="polyshop.events",
        pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$",
        description="each event goes to <prefix>.<EventType>",
    )
    nats_event_types: str = Field(
        default="*",
        max_length=2000,
        description="event types to publish, comma-separated; * for all",
    )
    nats_duplicate_window: float = Field(
        default=600.0,
        gt=0,
        le=86400,
        description="seconds JetStream remembers a message id: a publisher restarted within "
        "it never stores an event twice",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="deliver webhooks to private, loopback and link-local addresses (a "
        "receiver on the shop's own network); off: such URLs are refused",
    )
    webhook_interval: float = Field(
        default=1.0, gt=0, le=3600, description="seconds between runs of the webhook sender"
    )
    webhook_retention_days: int = Field(
        default=30, ge=1, le=3650, description="days a delivered webhook delivery is kept"
    )
    payment_webhook_secret: str | None = Field(
        default=None, min_length=16, description="HMAC secret shared with the payment provider"
    )
    test_payments: bool | None = Field(
        default=None,
        description="the storefront's test payment page (/test-payments/{order}), acting as "
        "the payment provider; unset: on in embedded mode, off in server mode",
    )
    analytics_flush_interval: float = Field(
        default=0.25,
        gt=0,
        le=10,
        description="seconds between batch writes of product views (what a crash may lose)",
    )
    analytics_retention_days: int = Field(
        default=400, ge=1, le=36_500, description="days of product views kept for analytics"
    )
    co_view_interval: float = Field(
        default=60.0, gt=0, le=3600, description="how often viewed-together visits are counted"
    )
    # Blobs (product images): an S3-compatible bucket when s3_bucket is set, in embedded and
    # server mode alike; otherwise files under <data_dir>/media, also in server mode (one
    # machine, or a shared volume, holds them).
    s3_bucket: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="S3 bucket for media blobs; unset = files under <data_dir>/media",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="S3-compatible endpoint (SeaweedFS, MinIO, ...); unset = AWS S3",
    )
    s3_region: str = Field(default="us-east-1", min_length=1)
    s3_access_key_id: str | None = Field(
        default=None, description="unset = boto3's own chain (AWS_ACCESS_KEY_ID, a profile, ...)"
    )
    s3_secret_access_key: str | None = Field(
        default=None, description="unset = boto3's own chain (AWS_SECRET_ACCESS_KEY, ...)"
    )
    s3_public: bool = Field(
        default=False, description="browsers may read the bucket directly at <endpoint>/<bucket>"
    )
    media_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="CDN base URL browsers fetch blobs from (<base>/<key>); unset: polyshop",
    )
    # Product images: how large an upload may be, how many are processed at once, how long
    # an unreferenced blob is kept before the garbage job may delete it.
    media_max_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1024, le=1024**3, description="largest image upload"
    )
    media_max_pixels: int = Field(
        default=50_000_000, ge=10_000, le=500_000_000, description="most pixels an image may have"
    )
    media_workers: int = Field(
        default=2, ge=1, le=64, description="images decoded and rendered at once per process"
    )
    media_upload_expiry: float = Field(
        default=900, gt=0, le=7 * 86400, description="seconds an upload URL stays valid"
    )
    media_gc_grace: float = Field(
        default=86400,
        ge=0,
        description="seconds a blob no image refers to is kept before it may be deleted",
    )
    media_gc_interval: float = Field(
        default=3600, gt=0, le=7 * 86400, description="how often unreferenced blobs are swept"
    )
    media_cache_bytes: int = Field(
        default=64 * 1024 * 1024, ge=0, description="renditions kept in memory for serving"
    )
    media_signing_key: str | None = Field(
        default=None,
        min_length=16,
        description="signs polyshop's own upload URLs; embedded mode makes one under data_dir",
    )
    demo_pictures_dir: Path | None = Field(
        default=None,
        description="where the demo catalog's drawn pictures are cached; unset: "
        "<data_dir>/demo-pictures (shops may share one)",
    )
    secret_key: str | None = Field(
        default=None,
        min_length=16,
        description="signs the web pages' CSRF tokens; embedded mode makes one under data_dir",
    )

    graphql_introspection: bool | None = Field(
        default=None,
        description="GraphQL answers introspection (__schema, __type); unset: on in embedded "
        "mode, off in server mode (clients read schema.graphql)",
    )
    graphql_max_cost: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="the calculated cost one GraphQL operation may reach (each field 1, a "
        "list's selection times its first/limit); past it the operation is refused unrun",
    )

    @field_validator("database_url", "read_database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(
            ("postgresql://", "postgres://", "postgresql+psycopg://")
        ):
            raise ValueError("must be a postgresql:// URL (leave unset for embedded SQLite)")
        if value is not None and value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        return value

    @field_validator("metrics_require_token")
    @classmethod
    def _metrics_token_exists(cls, value: bool, info: ValidationInfo) -> bool:
        """Server mode makes no operator token of its own: requiring one that is not set
        would lock every scraper out, so it is refused at start-up instead."""
        if value and info.data.get("database_url") and not info.data.get("ops_token"):
            raise ValueError("needs POLYSHOP_OPS_TOKEN in server mode (the token to present)")
        return value

    def to_environment(self) -> dict[str, str]:
        """These settings as the `POLYSHOP_*` variables that give them back, for a child
        process that must act on the same shop."""
        environment = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            environment[f"POLYSHOP_{name.upper()}"] = str(value)
        return environment

    @property
    def mode(self) -> Mode:
        return Mode.SERVER if self.database_url else Mode.EMBEDDED

    @property
    def test_payments_on(self) -> bool:
        """Whether the storefront may act as the payment provider (never by default in
        server mode: a real shop's orders are paid by the real provider)."""
        if self.test_payments is not None:
            return self.test_payments
        return self.mode is Mode.EMBEDDED

    @property
    def graphql_introspection_on(self) -> bool:
        """Whether GraphQL answers introspection: a development shop's GraphiQL needs it; a
        public server need not describe itself to every scanner."""
        if self.graphql_introspection is not None:
            return self.graphql_introspection
        return self.mode is Mode.EMBEDDED

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "polyshop.sqlite3"
