"""Configuration read once from the environment, with strict parsing.

A bad value stops start-up with a message naming the variable. The defaults give
embedded mode: SQLite under DATA_DIR, a local media folder, no Redis, and the worker and
scheduler running inside the API process.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from core.crypto import subkey
from core.limits import DEFAULT_KIND_LIMITS, MEDIA_KINDS, UploadLimits
from core.rates import DEFAULT_RATES, parse_rate

# The plans of storage.quotas.PLANS (named here so reading the settings loads no models).
PLAN_NAMES = ("unlimited", "free", "school", "partner")

# 32 characters of a random URL-safe string carry about 190 bits.
MIN_SECRET_KEY_CHARS = 32
# Values copied from an example file rather than generated; refused when APP_ENV=production.
_PLACEHOLDER = re.compile(
    r"change[-_ ]?(me|this|it)|replace[-_ ]?(me|this)|placeholder|^your[-_ ]|<[^>]*>",
    re.IGNORECASE,
)


class ConfigError(ValueError):
    """Raised when an environment variable holds a value that cannot be used."""


def _without_password(url: str) -> str:
    # Start-up errors are printed and logged; a URL's password must not be.
    return re.sub(r"(//[^/@]*?:)[^/@]*@", r"\1***@", url)


def _url_password(url: str) -> str:
    return unquote(urlparse(url).password or "")


def _check_production_secret(name: str, value: str) -> None:
    """A secret in production is not an example's placeholder and has 32+ characters."""
    if _PLACEHOLDER.search(value):
        raise ConfigError(f"{name} holds a placeholder; set a random value when "
                          "APP_ENV=production (python -c 'import secrets; "
                          "print(secrets.token_urlsafe(48))' makes one)")
    if len(value) < MIN_SECRET_KEY_CHARS:
        raise ConfigError(f"{name} must have at least {MIN_SECRET_KEY_CHARS} characters "
                          "when APP_ENV=production (python -c 'import secrets; "
                          "print(secrets.token_urlsafe(48))' makes one)")


def _endpoint_url(name: str, value: str) -> str:
    """`https://media.example.org`: a scheme, a host and maybe a port, nothing after them."""
    _url(name, value, ("http", "https"))
    parsed = urlparse(value)
    if not parsed.hostname or parsed.path.strip("/") or parsed.query or parsed.fragment:
        raise ConfigError(f"{name} must be scheme://host[:port] with no path: {value!r}")
    return value.rstrip("/")


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    shown = _without_password(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise ConfigError(f"{name} is not a URL with scheme {' or '.join(schemes)}: {shown!r}")
    try:
        parsed.port  # noqa: B018  (urlparse checks the port only when it is read)
    except ValueError:
        raise ConfigError(f"{name} has an invalid port: {shown!r}") from None
    return value


def _int(name: str, value: str, minimum: int | None = None, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} is not an integer: {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name} must be <= {maximum}, got {number}")
    return number


def _float(name: str, value: str, minimum: float | None = None) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} is not a number: {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {number}")
    return number


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} is not a boolean (use true/false): {value!r}")


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _list(name: str, value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _synthesis_engines(name: str, value: str) -> tuple[str, ...]:
    engines = _list(name, value)
    if not engines:
        raise ConfigError(f"{name} names no engine")
    for engine in engines:
        _choice(name, engine, ("piper", "espeak", "openai"))
    return engines


_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")


def _hostname(name: str, value: str) -> str:
    """A host name or IP address, without scheme or port (those have their own variables)."""
    host = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOSTNAME.match(host):
            raise ConfigError(f"{name} is not a host name or IP address: {value!r}") from None
    return host


def _mail_from(name: str, value: str) -> str:
    """`no-reply@example.org` or `Platform <no-reply@example.org>`."""
    from email.headerregistry import Address
    from email.utils import parseaddr

    display, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "\n" in value or "\r" in value:
        raise ConfigError(f"{name} is not an email address: {value!r}")
    try:
        Address(display_name=display, addr_spec=address)
    except (ValueError, IndexError):
        raise ConfigError(f"{name} is not an email address: {value!r}") from None
    return value


def _origins(name: str, value: str) -> tuple[str, ...]:
    """Comma-separated `scheme://host[:port]` origins, exactly as browsers send them."""
    origins = []
    for item in _list(name, value):
        parsed = urlparse(item)
        try:
            parsed.port  # noqa: B018  (urlparse checks the port only when it is read)
        except ValueError:
            raise ConfigError(f"{name}: {item!r} has an invalid port") from None
        if (parsed.scheme not in ("http", "https") or not parsed.hostname
                or parsed.username is not None or item.endswith("/")
                or parsed.path or parsed.params or parsed.query or parsed.fragment):
            raise ConfigError(f"{name}: {item!r} is not an origin (scheme://host[:port], "
                              "no path, no trailing slash)")
        origins.append(item.lower())
    if not origins:
        raise ConfigError(f"{name} names no origin")
    return tuple(origins)


def _encryption_keys(name: str, value: str) -> tuple[str, ...]:
    keys = _list(name, value)
    if not keys:
        raise ConfigError(f"{name} names no key")
    for position, key in enumerate(keys, 1):
        if len(key) < 32:
            raise ConfigError(f"{name}: key {position} is shorter than 32 characters")
    return keys


def _rate_limits(name: str, value: str) -> tuple[tuple[str, str], ...]:
    """`login=10/minute,submit=0/minute`: named limits as count/period (0 turns one off)."""
    limits = []
    for item in _list(name, value):
        limit, equals, rate = item.partition("=")
        limit = limit.strip()
        if not equals or limit not in DEFAULT_RATES:
            raise ConfigError(f"{name} takes name=count/period pairs with names "
                              f"{', '.join(DEFAULT_RATES)}; got {item!r}")
        try:
            parse_rate(rate)
        except ValueError:
            raise ConfigError(f"{name}: {limit} is not count/period (second, minute, hour, "
                              f"day or seconds): {rate.strip()!r}") from None
        limits.append((limit, rate.strip()))
    return tuple(limits)


def _kind_limits(name: str, value: str) -> tuple[tuple[str, int], ...]:
    """`video=1073741824,archive=2147483648`: per-kind upload ceilings in bytes."""
    limits = []
    for item in _list(name, value):
        kind, equals, size = item.partition("=")
        kind = kind.strip()
        if not equals or kind not in MEDIA_KINDS:
            raise ConfigError(
                f"{name} takes kind=bytes pairs with kinds {', '.join(MEDIA_KINDS)}; got {item!r}"
            )
        limits.append((kind, _int(f"{name} ({kind})", size.strip(), 1024)))
    return tuple(limits)


@dataclass(frozen=True)
class Settings:
    """Every setting of the platform. Build with `Settings.from_env()` or directly in tests."""

    env: str = "development"
    secret_key: str = ""
    # One secret from which the token-signing, URL-signing and session keys are derived
    # (HKDF, one key per purpose; see core.crypto.subkey).
    # Keys for secrets stored encrypted (webhook signing secrets): the first encrypts, all
    # decrypt. Empty: one key derived from SECRET_KEY (its own derivation, not the signing keys).
    encryption_keys: tuple[str, ...] = ()
    data_dir: Path = Path("./data")
    database_url: str = ""
    redis_url: str | None = None
    # Object storage: "local" (files under media_dir) or "s3" (MinIO or AWS S3).
    storage_backend: str = "local"
    media_dir: Path | None = None
    s3_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    s3_bucket: str = "media"
    s3_secure: bool = True
    # Where clients outside the platform's network reach the S3 endpoint; presigned URLs are
    # signed for this host. Empty: S3_ENDPOINT (clients and platform share one network).
    s3_public_endpoint: str = ""
    # The address clients use to reach the API (links in local presigned URLs, media URLs).
    public_base_url: str = "http://127.0.0.1:8000"
    # HTTP limits.
    max_request_bytes: int = 1 * 1024 * 1024
    max_upload_bytes: int = 512 * 1024 * 1024
    # Per-kind ceilings over the defaults of core.limits (MAX_UPLOAD_BYTES caps all).
    media_kind_limits: tuple[tuple[str, int], ...] = ()
    # Longest text accepted by the writing assessment (characters).
    max_text_chars: int = 10_000
    # Bulk media import: limits on the files unpacked from one archive.
    import_max_entries: int = 5000
    import_max_entry_bytes: int = 100 * 1024 * 1024
    import_max_total_bytes: int = 1024 * 1024 * 1024
    # Retention sweeps and learner erasure: rows (and objects) removed per transaction.
    retention_batch_size: int = 200
    # Days a learner's data export stays downloadable before the sweeper removes it.
    learner_export_days: int = 7
    # Plans and usage: the plan of organisations that have none of their own, and the
    # prices (USD per million tokens) usage reports estimate LLM cost with.
    default_plan: str = "unlimited"
    llm_price_input_per_mtok: float = 0.0
    llm_price_output_per_mtok: float = 0.0
    # Tokens.
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    invite_ttl: int = 7 * 24 * 3600
    password_reset_ttl: int = 3600
    # argon2id cost of new password hashes (RFC 9106's second recommendation by default).
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 64 * 1024
    # Outgoing mail (password resets, invites). No SMTP host: each message is written to
    # DATA_DIR/mail/ as an .eml file instead (embedded mode).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    # "starttls" (upgrade a plain connection, port 587), "ssl" (TLS from the start, port
    # 465) or "none" (plain; a relay on loopback or a private network).
    smtp_tls: str = "starttls"
    smtp_timeout_seconds: float = 15.0
    mail_from: str = "Language platform <no-reply@localhost>"
    # Browser origins allowed to call /api/ (CORS). Empty: no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    cors_max_age: int = 3600
    # Jobs.
    queue_prefix: str = ""
    # Rate limits over the defaults of api.ratelimit (name -> "count/period").
    rate_limits: tuple[tuple[str, str], ...] = ()
    # Proxies in front of the API whose X-Forwarded-For/-Proto/-Host are trusted (0: none).
    trusted_proxy_count: int = 0
    # How long an API process may reuse what it read about an access token (its user, and
    # whether it is revoked) before reading it again; changes clear it at once (0: no cache).
    auth_cache_seconds: float = 5.0
    # A killed worker's job is re-queued within lease + sweep interval (40 s by default).
    job_lease_seconds: int = 30
    # Dramatiq's Redis broker: a worker silent this long is dead and, at a maintenance run
    # (this many broker commands per million trigger one), its fetched messages are re-queued.
    broker_heartbeat_timeout_ms: int = 60_000
    broker_maintenance_chance: int = 1000
    job_retry_min_backoff_ms: int = 1000
    job_retry_max_backoff_ms: int = 300_000
    idempotency_ttl: int = 24 * 3600
    sweep_interval_seconds: int = 10
    embedded_worker_threads: int = 2
    # Processes started inside the API process in embedded mode.
    embedded_services: bool = True
    # Providers.
    transcription_provider: str = "local"
    whisper_model: str = ""
    whisper_cache_dir: Path | None = None
    max_audio_seconds: int = 300
    llm_provider: str = "offline"
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = "gpt-4o-mini"
    openai_transcription_model: str = "whisper-1"
    # Transcription may use another OpenAI-compatible server than the LLM; empty means the same.
    openai_transcription_base_url: str = ""
    llm_timeout_seconds: float = 60.0
    bedrock_region: str = "us-east-1"
    bedrock_model_id: str = "mistral.mistral-7b-instruct-v0:2"
    # Speech synthesis: engines in order of preference ("piper", "espeak", "openai").
    synthesis_engines: tuple[str, ...] = ("piper", "espeak")
    openai_tts_model: str = "tts-1"
    # Another OpenAI-compatible server for speech synthesis only (default: OPENAI_BASE_URL).
    openai_tts_base_url: str = ""
    # Longest text one synthesis may speak (characters).
    max_synthesis_chars: int = 1000
    # Conversation partner: "scenario" (offline dialogue scripts), "llm" (LLM_PROVIDER), or
    # "auto" (the LLM when one is configured, else the scenarios).
    conversation_partner: str = "auto"
    # Partner replies are also spoken (an audio file beside the text).
    conversation_speak_replies: bool = True
    # Realtime voice sessions (OpenAI deployments): the model, voice and client-token lifetime.
    openai_realtime_model: str = "gpt-realtime"
    openai_realtime_voice: str = "alloy"
    realtime_token_ttl: int = 60
    # Webhooks.
    webhook_allow_private_networks: bool = False
    webhook_timeout_seconds: float = 15.0
    webhook_retry_schedule: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    webhook_disable_after_seconds: int = 5 * 24 * 3600
    webhook_secret_overlap_seconds: int = 24 * 3600
    # /metrics: with a token, scrapers send `Authorization: Bearer <token>`; without one, only
    # loopback callers may read it (it counts every organisation's jobs).
    metrics_token: str = ""
    # Logging.
    log_level: str = "INFO"
    log_json: bool = True
    # Workers: expose Dramatiq's own Prometheus metrics (port 9191).
    worker_prometheus: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rates(self) -> dict[str, Any]:
        return {**DEFAULT_RATES,
                **{name: parse_rate(rate) for name, rate in self.rate_limits}}

    @property
    def upload_limits(self) -> UploadLimits:
        return UploadLimits(self.max_upload_bytes,
                            {**DEFAULT_KIND_LIMITS, **dict(self.media_kind_limits)})

    @property
    def jwt_signing_key(self) -> str:
        """Signs access and refresh tokens (derived from SECRET_KEY)."""
        return subkey(self.secret_key, "token signing")

    @property
    def url_signing_key(self) -> str:
        """Signs the local backend's presigned URLs (derived from SECRET_KEY)."""
        return subkey(self.secret_key, "url signing")

    @property
    def session_key(self) -> str:
        """Flask's own SECRET_KEY (signed cookies of the console; derived from SECRET_KEY)."""
        return subkey(self.secret_key, "flask sessions")

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: in-memory broker, in-process worker."""
        return not self.redis_url

    def queue(self, name: str) -> str:
        return f"{self.queue_prefix}{name}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}

        def read(name: str, parse: Callable[[str, str], Any], attr: str | None = None) -> None:
            raw = env.get(name)
            if raw is not None and raw != "":
                values[attr or name.lower()] = parse(name, raw)

        read("APP_ENV", lambda n, v: _choice(n, v, ("development", "production", "test")), "env")
        read("SECRET_KEY", lambda n, v: v)
        read("ENCRYPTION_KEYS", _encryption_keys)
        read("DATA_DIR", lambda n, v: Path(v))
        read("DATABASE_URL",
             lambda n, v: _url(n, v, ("sqlite", "postgresql", "postgresql+psycopg")))
        read("REDIS_URL", lambda n, v: _url(n, v, ("redis", "rediss", "unix")))
        read("STORAGE_BACKEND", lambda n, v: _choice(n, v, ("local", "s3")))
        read("MEDIA_DIR", lambda n, v: Path(v))
        read("S3_ENDPOINT", lambda n, v: v)
        read("S3_ACCESS_KEY", lambda n, v: v)
        read("S3_SECRET_KEY", lambda n, v: v)
        read("S3_REGION", lambda n, v: v)
        read("S3_BUCKET", lambda n, v: v)
        read("S3_SECURE", _bool)
        read("S3_PUBLIC_ENDPOINT", _endpoint_url)
        read("PUBLIC_BASE_URL", lambda n, v: _url(n, v, ("http", "https")).rstrip("/"))
        read("MAX_REQUEST_BYTES", lambda n, v: _int(n, v, 1024))
        read("MAX_UPLOAD_BYTES", lambda n, v: _int(n, v, 1024))
        read("MEDIA_KIND_LIMITS", _kind_limits)
        read("MAX_TEXT_CHARS", lambda n, v: _int(n, v, 100, 1_000_000))
        read("IMPORT_MAX_ENTRIES", lambda n, v: _int(n, v, 1))
        read("RETENTION_BATCH_SIZE", lambda n, v: _int(n, v, 1, 10_000))
        read("LEARNER_EXPORT_DAYS", lambda n, v: _int(n, v, 1, 365))
        read("DEFAULT_PLAN", lambda n, v: _choice(n, v, PLAN_NAMES))
        read("LLM_PRICE_INPUT_PER_MTOK", lambda n, v: _float(n, v, 0.0))
        read("LLM_PRICE_OUTPUT_PER_MTOK", lambda n, v: _float(n, v, 0.0))
        read("IMPORT_MAX_ENTRY_BYTES", lambda n, v: _int(n, v, 1024))
        read("IMPORT_MAX_TOTAL_BYTES", lambda n, v: _int(n, v, 1024))
        read("ACCESS_TOKEN_TTL", lambda n, v: _int(n, v, 10))
        read("REFRESH_TOKEN_TTL", lambda n, v: _int(n, v, 60))
        read("INVITE_TTL", lambda n, v: _int(n, v, 60))
        read("PASSWORD_RESET_TTL", lambda n, v: _int(n, v, 60, 7 * 24 * 3600))
        read("PASSWORD_HASH_TIME_COST", lambda n, v: _int(n, v, 1, 20))
        read("PASSWORD_HASH_MEMORY_KIB", lambda n, v: _int(n, v, 32, 4 * 1024 * 1024))
        read("SMTP_HOST", _hostname)
        read("SMTP_PORT", lambda n, v: _int(n, v, 1, 65535))
        read("SMTP_USERNAME", lambda n, v: v)
        read("SMTP_PASSWORD", lambda n, v: v)
        read("SMTP_TLS", lambda n, v: _choice(n, v, ("starttls", "ssl", "none")))
        read("SMTP_TIMEOUT_SECONDS", lambda n, v: _float(n, v, 0.1))
        read("MAIL_FROM", _mail_from)
        read("CORS_ORIGINS", _origins)
        read("CORS_MAX_AGE", lambda n, v: _int(n, v, 0, 24 * 3600))
        read("QUEUE_PREFIX", lambda n, v: v)
        read("RATE_LIMITS", _rate_limits)
        read("TRUSTED_PROXY_COUNT", lambda n, v: _int(n, v, 0, 5))
        read("AUTH_CACHE_SECONDS", lambda n, v: _float(n, v, 0))
        read("JOB_LEASE_SECONDS", lambda n, v: _int(n, v, 5))
        read("BROKER_HEARTBEAT_TIMEOUT_MS", lambda n, v: _int(n, v, 1000))
        read("BROKER_MAINTENANCE_CHANCE", lambda n, v: _int(n, v, 0, 1_000_000))
        read("JOB_RETRY_MIN_BACKOFF_MS", lambda n, v: _int(n, v, 0))
        read("JOB_RETRY_MAX_BACKOFF_MS", lambda n, v: _int(n, v, 0))
        read("IDEMPOTENCY_TTL", lambda n, v: _int(n, v, 60))
        read("SWEEP_INTERVAL_SECONDS", lambda n, v: _int(n, v, 1))
        read("EMBEDDED_WORKER_THREADS", lambda n, v: _int(n, v, 1, 64))
        read("EMBEDDED_SERVICES", _bool)
        read("TRANSCRIPTION_PROVIDER", lambda n, v: _choice(n, v, ("local", "openai")))
        read("WHISPER_MODEL", lambda n, v: v)
        read("WHISPER_CACHE_DIR", lambda n, v: Path(v))
        read("MAX_AUDIO_SECONDS", lambda n, v: _int(n, v, 1))
        read("LLM_PROVIDER", lambda n, v: _choice(n, v, ("offline", "openai", "bedrock")))
        read("OPENAI_API_KEY", lambda n, v: v)
        read("OPENAI_BASE_URL", lambda n, v: _url(n, v, ("http", "https")))
        read("OPENAI_MODEL", lambda n, v: v)
        read("OPENAI_TRANSCRIPTION_MODEL", lambda n, v: v)
        read("OPENAI_TRANSCRIPTION_BASE_URL", lambda n, v: _url(n, v, ("http", "https")))
        read("LLM_TIMEOUT_SECONDS", lambda n, v: _float(n, v, 0.1))
        read("BEDROCK_REGION", lambda n, v: v)
        read("BEDROCK_MODEL_ID", lambda n, v: v)
        read("SYNTHESIS_ENGINES", _synthesis_engines)
        read("OPENAI_TTS_MODEL", lambda n, v: v)
        read("OPENAI_TTS_BASE_URL", lambda n, v: _url(n, v, ("http", "https")))
        read("MAX_SYNTHESIS_CHARS", lambda n, v: _int(n, v, 10, 100_000))
        read("CONVERSATION_PARTNER", lambda n, v: _choice(n, v, ("auto", "scenario", "llm")))
        read("CONVERSATION_SPEAK_REPLIES", _bool)
        read("OPENAI_REALTIME_MODEL", lambda n, v: v)
        read("OPENAI_REALTIME_VOICE", lambda n, v: v)
        read("REALTIME_TOKEN_TTL", lambda n, v: _int(n, v, 10, 7200))
        read("WEBHOOK_ALLOW_PRIVATE_NETWORKS", _bool)
        read("WEBHOOK_TIMEOUT_SECONDS", lambda n, v: _float(n, v, 0.1))
        read(
            "WEBHOOK_RETRY_SCHEDULE",
            lambda n, v: tuple(_float(n, item, 0) for item in _list(n, v)),
        )
        read("WEBHOOK_DISABLE_AFTER_SECONDS", lambda n, v: _int(n, v, 1))
        read("WEBHOOK_SECRET_OVERLAP_SECONDS", lambda n, v: _int(n, v, 0))
        read("METRICS_TOKEN", lambda n, v: v)
        read("LOG_LEVEL", lambda n, v: _choice(n, v.upper(), ("DEBUG", "INFO", "WARNING", "ERROR")))
        read("LOG_JSON", _bool)
        read("WORKER_PROMETHEUS", _bool)
        return cls(**values).finalised()

    def finalised(self) -> Settings:
        """Fill the values derived from others and check the combinations."""
        changes: dict[str, Any] = {}
        if not self.database_url:
            changes["database_url"] = f"sqlite:///{(self.data_dir / 'platform.db').resolve()}"
        elif self.database_url.startswith("postgresql://"):
            changes["database_url"] = "postgresql+psycopg://" + self.database_url[len("postgresql://"):]
        if self.media_dir is None:
            changes["media_dir"] = self.data_dir / "media"
        if self.whisper_cache_dir is None:
            changes["whisper_cache_dir"] = self.data_dir / "models"
        if not self.secret_key:
            if self.env == "production":
                raise ConfigError("SECRET_KEY must be set when APP_ENV=production")
            changes["secret_key"] = _dev_secret(self.data_dir)
        if self.env == "production":
            self._check_production_secrets()
            # OWASP's floor for argon2id: 19 MiB and two passes.
            if self.password_hash_memory_kib < 19 * 1024 or self.password_hash_time_cost < 2:
                raise ConfigError("PASSWORD_HASH_MEMORY_KIB must be at least 19456 and "
                                  "PASSWORD_HASH_TIME_COST at least 2 when APP_ENV=production")
        if self.storage_backend == "s3":
            for name in ("s3_endpoint", "s3_access_key", "s3_secret_key"):
                if not getattr(self, name):
                    raise ConfigError(f"{name.upper()} must be set when STORAGE_BACKEND=s3")
        if not self.webhook_retry_schedule:
            raise ConfigError("WEBHOOK_RETRY_SCHEDULE needs at least one delay")
        return dataclasses.replace(self, **changes) if changes else self

    def _check_production_secrets(self) -> None:
        """Refuse example values and short secrets, naming the variable that holds one."""
        _check_production_secret("SECRET_KEY", self.secret_key)
        for position, key in enumerate(self.encryption_keys, 1):
            _check_production_secret(f"ENCRYPTION_KEYS (key {position})", key)
        # A URL without a password (peer or IAM authentication) has nothing to check.
        for name, url in (("DATABASE_URL", self.database_url), ("REDIS_URL", self.redis_url)):
            if url and _url_password(url):
                _check_production_secret(f"the password in {name}", _url_password(url))
        if self.storage_backend == "s3" and self.s3_secret_key:
            _check_production_secret("S3_SECRET_KEY", self.s3_secret_key)
        if self.metrics_token:
            _check_production_secret("METRICS_TOKEN", self.metrics_token)


def _dev_secret(data_dir: Path) -> str:
    """A per-installation secret kept under DATA_DIR so tokens survive restarts in dev."""
    path = data_dir / ".secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value
