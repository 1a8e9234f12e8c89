"""Configuration read once from the environment, with strict parsing.

Every setting is declared once, in a section: its field and default, its environment
variable, its parser (core.envparse) and its documentation, from which core.envexample writes
.env.example. A bad value stops start-up with a message naming the variable. The defaults give
embedded mode: SQLite under DATA_DIR, a local media folder, no Redis, and the worker and
scheduler running inside the API process.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.crypto import subkey
from core.envparse import (
    ConfigError,
    check_production_secret,
    parse_bool,
    parse_choice,
    parse_encryption_keys,
    parse_endpoint_url,
    parse_float,
    parse_hostname,
    parse_int,
    parse_kind_limits,
    parse_list,
    parse_mail_from,
    parse_origins,
    parse_rate_limits,
    parse_synthesis_engines,
    parse_url,
    url_password,
)
from core.limits import DEFAULT_KIND_LIMITS, UploadLimits
from core.rates import DEFAULT_RATES, parse_rate

# The plans of storage.quotas.PLANS (named here so reading the settings loads no models).
PLAN_NAMES = ("unlimited", "free", "school", "partner")


def _text(name: str, value: str) -> str:
    return value


@dataclass(frozen=True)
class Variable:
    """One environment variable: how it is parsed and how .env.example shows it."""

    env: str
    parse: Callable[[str, str], Any]
    doc: str
    section: Section
    example: str | None = None  # what .env.example shows; None: the default
    set_in_example: bool = False  # .env.example sets it rather than showing it commented
    grouped: bool = False  # .env.example shows it under the previous one, no blank line


@dataclass(frozen=True)
class Section:
    """A group of settings, in the order `Settings` declares them."""

    title: str
    doc: str

    def setting(
        self,
        default: Any,
        parse: Callable[[str, str], Any],
        doc: str,
        *,
        env: str | None = None,
        example: str | None = None,
        set_in_example: bool = False,
        grouped: bool = False,
    ) -> Any:
        """A `Settings` field read from `env` (the field's name in capitals when not given)."""
        variable = Variable(env or "", parse, doc, self, example, set_in_example, grouped)
        return field(default=default, metadata={"variable": variable})


DEPLOYMENT = Section(
    "Deployment",
    "What every deployment sets: the environment, the root secret and the public addresses.",
)
SERVICES = Section("Data and services", "Where data lives, and which processes run the work.")
OBJECT_STORAGE = Section("Object storage", "Media files: a local folder or an S3-compatible store.")
LIMITS = Section("Limits", "How large a request, an upload, a text or an import may be.")
USAGE = Section("Plans and usage", "What an organisation's plan allows, and what LLM usage costs.")
ACCOUNTS = Section("Accounts", "Token lifetimes and password hashing.")
MAIL = Section("Mail", "Outgoing mail.")
HTTP = Section("HTTP", "Browsers, proxies and request rates in front of the API.")
JOBS = Section("Jobs", "Queues, leases, retries and the scheduler's sweeps.")
MODELS = Section(
    "Speech recognition and language models", "Which engines transcribe, assess, hint and plan."
)
SPEECH = Section("Speech synthesis and conversation", "Spoken output and the conversation partner.")
WEBHOOKS = Section("Webhooks", "Delivery of signed webhooks to partners.")
OBSERVABILITY = Section("Observability", "Metrics and logs.")


@dataclass(frozen=True)
class Settings:
    """Every setting of the platform, declared once in sections: the field, its environment
    variable, its parser and its documentation (core/envexample.py writes .env.example from
    them). Build with `Settings.from_env()` or directly in tests."""

    # Deployment -------------------------------------------------------------------------
    env: str = DEPLOYMENT.setting(
        "development",
        lambda n, v: parse_choice(n, v, ("development", "production", "test")),
        "development, production or test. Production refuses secrets that are an example's "
        "placeholder (change-me...) or shorter than 32 characters: SECRET_KEY, "
        "ENCRYPTION_KEYS, the passwords in DATABASE_URL and REDIS_URL, S3_SECRET_KEY and "
        "METRICS_TOKEN.",
        env="APP_ENV",
        example="production",
        set_in_example=True,
    )
    secret_key: str = DEPLOYMENT.setting(
        "",
        _text,
        "The secret from which the token-signing, URL-signing and session keys are derived "
        '(HKDF, one key per purpose). Set it in production; README "Keys and their rotation" '
        "says how to rotate it.",
        example="change-me-to-a-long-random-string",
        set_in_example=True,
    )
    public_base_url: str = DEPLOYMENT.setting(
        "http://127.0.0.1:8000",
        lambda n, v: parse_url(n, v, ("http", "https")).rstrip("/"),
        "How clients reach the API (local presigned URLs, media links).",
        example="https://learn.example.org",
        set_in_example=True,
    )
    s3_public_endpoint: str = DEPLOYMENT.setting(
        "",
        parse_endpoint_url,
        "How clients outside the platform's network reach the S3 endpoint (a TLS proxy in "
        "front of MinIO's port 9000): presigned upload and download URLs are signed for this "
        "host. Unset: S3_ENDPOINT, which only works when clients reach the store where the "
        "platform does.",
        example="https://media.example.org",
        set_in_example=True,
    )
    encryption_keys: tuple[str, ...] = DEPLOYMENT.setting(
        (),
        parse_encryption_keys,
        "Keys for webhook secrets stored encrypted (32+ characters each; the first encrypts, "
        "all decrypt). Unset: derived from SECRET_KEY. Rotate with `flask secrets reencrypt`.",
        example="a-new-key-of-at-least-32-characters,the-previous-key-of-32-characters",
    )
    # Data and services ------------------------------------------------------------------
    data_dir: Path = SERVICES.setting(
        Path("./data"),
        lambda n, v: Path(v),
        "Embedded mode's SQLite file and media folder, and the model cache "
        "(WHISPER_CACHE_DIR). Under compose a named volume holds it, so replicas and restarts "
        "share the assembled model.",
        example="/app/data",
        set_in_example=True,
    )
    database_url: str = SERVICES.setting(
        "",
        lambda n, v: parse_url(n, v, ("sqlite", "postgresql", "postgresql+psycopg")),
        "postgresql://user:pass@host/db in production. Under compose, built from "
        "POSTGRES_PASSWORD: do not set it here.",
        example="postgresql://platform:POSTGRES_PASSWORD@postgres:5432/platform",
    )
    redis_url: str | None = SERVICES.setting(
        None,
        lambda n, v: parse_url(n, v, ("redis", "rediss", "unix")),
        "Redis for the broker, long-poll wake-ups and locks. Unset: in-memory broker, "
        "in-process worker.",
        example="redis://redis:6379/0",
        set_in_example=True,
    )
    embedded_services: bool = SERVICES.setting(
        True, parse_bool, "In embedded mode, run the worker and scheduler inside the API process."
    )
    embedded_worker_threads: int = SERVICES.setting(
        2, lambda n, v: parse_int(n, v, 1, 64), "Worker threads in embedded mode."
    )
    # Object storage ---------------------------------------------------------------------
    storage_backend: str = OBJECT_STORAGE.setting(
        "local",
        lambda n, v: parse_choice(n, v, ("local", "s3")),
        "local (files under MEDIA_DIR) or s3 (MinIO or AWS S3).",
        example="s3",
        set_in_example=True,
    )
    media_dir: Path | None = OBJECT_STORAGE.setting(
        None, lambda n, v: Path(v), "Root of the local object store.", example="DATA_DIR/media"
    )
    s3_endpoint: str = OBJECT_STORAGE.setting(
        "",
        _text,
        "host:port or URL of MinIO/S3 (https://s3.amazonaws.com).",
        example="http://minio:9000",
        set_in_example=True,
    )
    s3_access_key: str = OBJECT_STORAGE.setting(
        "", _text, "S3 access key. Under compose, MINIO_ROOT_USER: do not set it here."
    )
    s3_secret_key: str = OBJECT_STORAGE.setting(
        "", _text, "S3 secret key. Under compose, MINIO_ROOT_PASSWORD: do not set it here."
    )
    s3_region: str = OBJECT_STORAGE.setting("us-east-1", _text, "S3 region.")
    s3_bucket: str = OBJECT_STORAGE.setting(
        "media", _text, "Bucket, created at start-up when missing."
    )
    s3_secure: bool = OBJECT_STORAGE.setting(
        True, parse_bool, "TLS to the S3 endpoint.", example="false", set_in_example=True
    )
    # Limits -----------------------------------------------------------------------------
    max_request_bytes: int = LIMITS.setting(
        1 * 1024 * 1024, lambda n, v: parse_int(n, v, 1024), "Largest JSON body (413 above)."
    )
    max_upload_bytes: int = LIMITS.setting(
        512 * 1024 * 1024,
        lambda n, v: parse_int(n, v, 1024),
        "Largest media upload through the API.",
    )
    media_kind_limits: tuple[tuple[str, int], ...] = LIMITS.setting(
        (),
        parse_kind_limits,
        "Per-kind ceilings in bytes (audio, image, video, archive, document); "
        "MAX_UPLOAD_BYTES caps them.",
        example="video=1073741824,archive=1073741824",
        grouped=True,
    )
    max_text_chars: int = LIMITS.setting(
        10_000,
        lambda n, v: parse_int(n, v, 100, 1_000_000),
        "Longest text for the writing assessment (422 above).",
    )
    import_max_entries: int = LIMITS.setting(
        5000, lambda n, v: parse_int(n, v, 1), "Bulk import: most files in one archive."
    )
    retention_batch_size: int = LIMITS.setting(
        200,
        lambda n, v: parse_int(n, v, 1, 10_000),
        "Retention sweeps and learner erasure: rows and objects removed per transaction.",
        grouped=True,
    )
    learner_export_days: int = LIMITS.setting(
        7,
        lambda n, v: parse_int(n, v, 1, 365),
        "Days a learner's data export (subject access request) stays downloadable before the "
        "retention sweep removes it.",
    )
    import_max_entry_bytes: int = LIMITS.setting(
        100 * 1024 * 1024, lambda n, v: parse_int(n, v, 1024), "Bulk import: largest unpacked file."
    )
    import_max_total_bytes: int = LIMITS.setting(
        1024 * 1024 * 1024,
        lambda n, v: parse_int(n, v, 1024),
        "Bulk import: most bytes unpacked from one archive.",
    )
    # Plans and usage --------------------------------------------------------------------
    default_plan: str = USAGE.setting(
        "unlimited",
        lambda n, v: parse_choice(n, v, PLAN_NAMES),
        "Plans and usage: the plan of organisations without one of their own (unlimited, "
        "free, school, partner), and LLM prices in USD per million tokens for usage cost "
        "estimates.",
        grouped=True,
    )
    llm_price_input_per_mtok: float = USAGE.setting(
        0.0, lambda n, v: parse_float(n, v, 0.0), "", grouped=True
    )
    llm_price_output_per_mtok: float = USAGE.setting(
        0.0, lambda n, v: parse_float(n, v, 0.0), "", grouped=True
    )
    plan_cache_seconds: float = USAGE.setting(
        5.0,
        lambda n, v: parse_float(n, v, 0),
        "How long an API process reuses an organisation's plan it read (for quota checks); a "
        "plan change clears every process's copy at once (0: read it on every check).",
    )
    # Accounts ---------------------------------------------------------------------------
    access_token_ttl: int = ACCOUNTS.setting(
        900, lambda n, v: parse_int(n, v, 10), "Access token lifetime (seconds)."
    )
    refresh_token_ttl: int = ACCOUNTS.setting(
        30 * 24 * 3600, lambda n, v: parse_int(n, v, 60), "Refresh token lifetime (seconds)."
    )
    invite_ttl: int = ACCOUNTS.setting(
        7 * 24 * 3600, lambda n, v: parse_int(n, v, 60), "Invite code lifetime (seconds)."
    )
    password_reset_ttl: int = ACCOUNTS.setting(
        3600,
        lambda n, v: parse_int(n, v, 60, 7 * 24 * 3600),
        "Password-reset token lifetime (seconds).",
    )
    password_hash_time_cost: int = ACCOUNTS.setting(
        3,
        lambda n, v: parse_int(n, v, 1, 20),
        "argon2id cost of new password hashes: passes and memory (KiB). Production refuses "
        "less than 2 passes or 19456 KiB; the test suite uses the minimum to stay fast.",
    )
    password_hash_memory_kib: int = ACCOUNTS.setting(
        64 * 1024, lambda n, v: parse_int(n, v, 32, 4 * 1024 * 1024), "", grouped=True
    )
    # Mail -------------------------------------------------------------------------------
    smtp_host: str = MAIL.setting(
        "",
        parse_hostname,
        "Outgoing mail (password resets, invites). No SMTP_HOST: each message is written to "
        "DATA_DIR/mail/<id>.eml and its path logged (embedded mode).",
        example="smtp.example.org",
    )
    smtp_port: int = MAIL.setting(587, lambda n, v: parse_int(n, v, 1, 65535), "", grouped=True)
    smtp_username: str = MAIL.setting("", _text, "", example="platform", grouped=True)
    smtp_password: str = MAIL.setting("", _text, "", example="change-me", grouped=True)
    smtp_tls: str = MAIL.setting(
        "starttls",
        lambda n, v: parse_choice(n, v, ("starttls", "ssl", "none")),
        "starttls (port 587), ssl (port 465) or none (a relay on a private network).",
        grouped=True,
    )
    smtp_timeout_seconds: float = MAIL.setting(
        15.0, lambda n, v: parse_float(n, v, 0.1), "", grouped=True
    )
    mail_from: str = MAIL.setting(
        "Language platform <no-reply@localhost>",
        parse_mail_from,
        "",
        example="Language platform <no-reply@example.org>",
        grouped=True,
    )
    # HTTP -------------------------------------------------------------------------------
    cors_origins: tuple[str, ...] = HTTP.setting(
        (),
        parse_origins,
        "Browser origins allowed to call /api/ (CORS), comma-separated scheme://host[:port]. "
        "Unset: no CORS headers at all. Credentials are never allowed (bearer tokens need "
        "none).",
        example="https://app.example.org,http://localhost:5173",
    )
    cors_max_age: int = HTTP.setting(
        3600,
        lambda n, v: parse_int(n, v, 0, 24 * 3600),
        "How long browsers may cache a preflight answer (seconds).",
        grouped=True,
    )
    rate_limits: tuple[tuple[str, str], ...] = HTTP.setting(
        (),
        parse_rate_limits,
        "Rate limits as name=count/period (0/minute turns one off); 429 rate_limited above them.",
        example=(
            "login=10/minute,login_address=100/minute,register=60/hour,submit=600/minute,"
            "realtime=20/hour,password=5/300,password_reset=5/hour,"
            "password_reset_address=30/hour,password_reset_confirm=30/hour"
        ),
    )
    trusted_proxy_count: int = HTTP.setting(
        0,
        lambda n, v: parse_int(n, v, 0, 5),
        "Proxies in front of the API whose X-Forwarded-* headers are trusted (the load "
        "balancer: 1).",
    )
    auth_cache_seconds: float = HTTP.setting(
        5.0,
        lambda n, v: parse_float(n, v, 0),
        "How long an API process reuses what it read about an access token (its user, whether "
        "it is revoked); a logout, revocation or account change clears every process's copy "
        "at once (0: off).",
    )
    # Jobs -------------------------------------------------------------------------------
    queue_prefix: str = JOBS.setting(
        "", _text, "Prefix of queue names and Redis keys (several deployments on one Redis)."
    )
    job_lease_seconds: int = JOBS.setting(
        30,
        lambda n, v: parse_int(n, v, 5),
        "Longest lease of a running job: a job whose worker stopped heart-beating this long "
        "is re-queued.",
    )
    broker_heartbeat_timeout_ms: int = JOBS.setting(
        60_000,
        lambda n, v: parse_int(n, v, 1000),
        "Dramatiq: a worker silent this long is dead and its fetched messages are re-queued.",
    )
    broker_maintenance_chance: int = JOBS.setting(
        1000,
        lambda n, v: parse_int(n, v, 0, 1_000_000),
        "Dramatiq: broker maintenance runs this many times per million commands.",
    )
    job_retry_min_backoff_ms: int = JOBS.setting(
        1000,
        lambda n, v: parse_int(n, v, 0),
        "First retry delay of a transient failure (doubles, with jitter).",
    )
    job_retry_max_backoff_ms: int = JOBS.setting(
        300_000, lambda n, v: parse_int(n, v, 0), "Longest retry delay."
    )
    idempotency_ttl: int = JOBS.setting(
        24 * 3600,
        lambda n, v: parse_int(n, v, 60),
        "How long an Idempotency-Key is remembered (seconds).",
    )
    sweep_interval_seconds: int = JOBS.setting(
        10,
        lambda n, v: parse_int(n, v, 1),
        "How often the scheduler re-sends unsent jobs and re-queues expired leases.",
    )
    # Speech recognition and language models ---------------------------------------------
    transcription_provider: str = MODELS.setting(
        "local",
        lambda n, v: parse_choice(n, v, ("local", "openai")),
        "local (faster-whisper, offline) or openai (any OpenAI-compatible server).",
    )
    whisper_model: str = MODELS.setting(
        "", _text, "A faster-whisper model directory or model name."
    )
    whisper_cache_dir: Path | None = MODELS.setting(
        None,
        lambda n, v: Path(v),
        "Where the bundled model is assembled once.",
        example="DATA_DIR/models",
    )
    max_audio_seconds: int = MODELS.setting(
        300, lambda n, v: parse_int(n, v, 1), "Longer audio fails with audio_too_long."
    )
    llm_provider: str = MODELS.setting(
        "offline",
        lambda n, v: parse_choice(n, v, ("offline", "openai", "bedrock")),
        "offline (deterministic engines), openai or bedrock.",
    )
    openai_api_key: str = MODELS.setting("", _text, "Key for the OpenAI (or compatible) server.")
    openai_base_url: str = MODELS.setting(
        "",
        lambda n, v: parse_url(n, v, ("http", "https")),
        "Base URL of an OpenAI-compatible server (vLLM, Ollama, llama.cpp).",
        example="OpenAI",
    )
    openai_model: str = MODELS.setting(
        "gpt-4o-mini", _text, "Chat model for assessments, hints and plans."
    )
    openai_transcription_model: str = MODELS.setting(
        "whisper-1", _text, "Transcription model when TRANSCRIPTION_PROVIDER=openai."
    )
    openai_transcription_base_url: str = MODELS.setting(
        "",
        lambda n, v: parse_url(n, v, ("http", "https")),
        "Another OpenAI-compatible server for transcription only (default: OPENAI_BASE_URL).",
    )
    llm_timeout_seconds: float = MODELS.setting(
        60.0,
        lambda n, v: parse_float(n, v, 0.1),
        "Timeout of one LLM call (a timeout is retried by the job).",
    )
    bedrock_region: str = MODELS.setting("us-east-1", _text, "AWS region of Bedrock.")
    bedrock_model_id: str = MODELS.setting(
        "mistral.mistral-7b-instruct-v0:2", _text, "Bedrock model id (Converse API)."
    )
    # Speech synthesis and conversation --------------------------------------------------
    synthesis_engines: tuple[str, ...] = SPEECH.setting(
        ("piper", "espeak"),
        parse_synthesis_engines,
        "Speech synthesis engines in order of preference: piper (neural, English), espeak "
        "(espeak-ng, many languages), openai (the OpenAI speech API; needs OPENAI_API_KEY).",
    )
    openai_tts_model: str = SPEECH.setting(
        "tts-1", _text, "Speech model when SYNTHESIS_ENGINES includes openai."
    )
    openai_tts_base_url: str = SPEECH.setting(
        "",
        lambda n, v: parse_url(n, v, ("http", "https")),
        "Another OpenAI-compatible server for speech synthesis only (default: OPENAI_BASE_URL).",
    )
    max_synthesis_chars: int = SPEECH.setting(
        1000,
        lambda n, v: parse_int(n, v, 10, 100_000),
        "Longest text one synthesis may speak (characters); longer is 422 text_too_long.",
    )
    conversation_partner: str = SPEECH.setting(
        "auto",
        lambda n, v: parse_choice(n, v, ("auto", "scenario", "llm")),
        "Conversation partner: auto (the LLM when LLM_PROVIDER is set, else scenarios), "
        "scenario (offline level-graded dialogue scripts) or llm.",
    )
    conversation_speak_replies: bool = SPEECH.setting(
        True, parse_bool, "Speak the partner's replies (an audio file beside each reply's text)."
    )
    openai_realtime_model: str = SPEECH.setting(
        "gpt-realtime",
        _text,
        "Realtime voice sessions (needs OPENAI_API_KEY): model, voice, client-token lifetime (s).",
    )
    openai_realtime_voice: str = SPEECH.setting("alloy", _text, "", grouped=True)
    realtime_token_ttl: int = SPEECH.setting(
        60, lambda n, v: parse_int(n, v, 10, 7200), "", grouped=True
    )
    # Webhooks ---------------------------------------------------------------------------
    webhook_allow_private_networks: bool = WEBHOOKS.setting(
        False,
        parse_bool,
        "Allow webhooks to private, loopback and link-local addresses (tests only).",
    )
    webhook_timeout_seconds: float = WEBHOOKS.setting(
        15.0, lambda n, v: parse_float(n, v, 0.1), "Timeout of one webhook request."
    )
    webhook_retry_schedule: tuple[float, ...] = WEBHOOKS.setting(
        (0, 5, 300, 1800, 7200, 18000, 36000, 36000),
        lambda n, v: tuple(parse_float(n, item, 0) for item in parse_list(n, v)),
        "Delays (seconds) of the delivery attempts, with jitter.",
    )
    webhook_disable_after_seconds: int = WEBHOOKS.setting(
        5 * 24 * 3600,
        lambda n, v: parse_int(n, v, 1),
        "An endpoint failing continuously this long is disabled.",
    )
    webhook_secret_overlap_seconds: int = WEBHOOKS.setting(
        24 * 3600,
        lambda n, v: parse_int(n, v, 0),
        "After a secret rotation, the old secret also signs for this long.",
    )
    webhook_endpoint_cache_seconds: float = WEBHOOKS.setting(
        5.0,
        lambda n, v: parse_float(n, v, 0),
        "How long a process remembers that an organisation has no enabled webhook endpoint "
        "(so a finished job's event skips the endpoints query); creating or enabling an "
        "endpoint clears every process's copy at once (0: query on every event).",
    )
    # Observability ----------------------------------------------------------------------
    metrics_token: str = OBSERVABILITY.setting(
        "",
        _text,
        "/metrics scrape token (Authorization: Bearer <token>). Unset: loopback callers only.",
    )
    log_level: str = OBSERVABILITY.setting(
        "INFO",
        lambda n, v: parse_choice(n, v.upper(), ("DEBUG", "INFO", "WARNING", "ERROR")),
        "DEBUG, INFO, WARNING or ERROR.",
    )
    log_json: bool = OBSERVABILITY.setting(
        True, parse_bool, "JSON log lines (request id, user, organisation); secrets are masked."
    )
    worker_prometheus: bool = OBSERVABILITY.setting(
        False, parse_bool, "Workers: expose Dramatiq's Prometheus metrics (port 9191)."
    )

    @property
    def rates(self) -> dict[str, Any]:
        return {**DEFAULT_RATES, **{name: parse_rate(rate) for name, rate in self.rate_limits}}

    @property
    def upload_limits(self) -> UploadLimits:
        return UploadLimits(
            self.max_upload_bytes, {**DEFAULT_KIND_LIMITS, **dict(self.media_kind_limits)}
        )

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
        """Each declared variable that is set and not empty, parsed strictly."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for attr, variable in declared().items():
            raw = env.get(variable.env)
            if raw is not None and raw != "":
                values[attr] = variable.parse(variable.env, raw)
        return cls(**values).finalised()

    def finalised(self) -> Settings:
        """Fill the values derived from others and check the combinations."""
        changes: dict[str, Any] = {}
        if not self.database_url:
            changes["database_url"] = f"sqlite:///{(self.data_dir / 'platform.db').resolve()}"
        elif self.database_url.startswith("postgresql://"):
            changes["database_url"] = (
                "postgresql+psycopg://" + self.database_url[len("postgresql://") :]
            )
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
                raise ConfigError(
                    "PASSWORD_HASH_MEMORY_KIB must be at least 19456 and "
                    "PASSWORD_HASH_TIME_COST at least 2 when APP_ENV=production"
                )
        if self.storage_backend == "s3":
            for name in ("s3_endpoint", "s3_access_key", "s3_secret_key"):
                if not getattr(self, name):
                    raise ConfigError(f"{name.upper()} must be set when STORAGE_BACKEND=s3")
        if not self.webhook_retry_schedule:
            raise ConfigError("WEBHOOK_RETRY_SCHEDULE needs at least one delay")
        return dataclasses.replace(self, **changes) if changes else self

    def _check_production_secrets(self) -> None:
        """Refuse example values and short secrets, naming the variable that holds one."""
        check_production_secret("SECRET_KEY", self.secret_key)
        for position, key in enumerate(self.encryption_keys, 1):
            check_production_secret(f"ENCRYPTION_KEYS (key {position})", key)
        # A URL without a password (peer or IAM authentication) has nothing to check.
        for name, url in (("DATABASE_URL", self.database_url), ("REDIS_URL", self.redis_url)):
            if url and url_password(url):
                check_production_secret(f"the password in {name}", url_password(url))
        if self.storage_backend == "s3" and self.s3_secret_key:
            check_production_secret("S3_SECRET_KEY", self.s3_secret_key)
        if self.metrics_token:
            check_production_secret("METRICS_TOKEN", self.metrics_token)


def declared() -> dict[str, Variable]:
    """Every setting's variable by field name, in declaration order (sections in order)."""
    found = {}
    for item in dataclasses.fields(Settings):
        variable = item.metadata["variable"]
        if not variable.env:
            variable = dataclasses.replace(variable, env=item.name.upper())
        found[item.name] = variable
    return found


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
