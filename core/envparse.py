"""Strict parsers of environment values: each takes the variable's name and its raw value and
returns the value, or raises ConfigError naming the variable (never printing a password)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urlparse

from core.limits import MEDIA_KINDS
from core.rates import DEFAULT_RATES, parse_rate

# 32 characters of a random URL-safe string carry about 190 bits.
MIN_SECRET_KEY_CHARS = 32
# Values copied from an example file rather than generated; refused when APP_ENV=production.
_PLACEHOLDER = re.compile(
    r"change[-_ ]?(me|this|it)|replace[-_ ]?(me|this)|placeholder|^your[-_ ]|<[^>]*>",
    re.IGNORECASE,
)


class ConfigError(ValueError):
    """Raised when an environment variable holds a value that cannot be used."""


def without_password(url: str) -> str:
    # Start-up errors are printed and logged; a URL's password must not be.
    return re.sub(r"(//[^/@]*?:)[^/@]*@", r"\1***@", url)


def url_password(url: str) -> str:
    return unquote(urlparse(url).password or "")


def check_production_secret(name: str, value: str) -> None:
    """A secret in production is not an example's placeholder and has 32+ characters."""
    if _PLACEHOLDER.search(value):
        raise ConfigError(
            f"{name} holds a placeholder; set a random value when "
            "APP_ENV=production (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))' makes one)"
        )
    if len(value) < MIN_SECRET_KEY_CHARS:
        raise ConfigError(
            f"{name} must have at least {MIN_SECRET_KEY_CHARS} characters "
            "when APP_ENV=production (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))' makes one)"
        )


def parse_endpoint_url(name: str, value: str) -> str:
    """`https://media.example.org`: a scheme, a host and maybe a port, nothing after them."""
    parse_url(name, value, ("http", "https"))
    parsed = urlparse(value)
    if not parsed.hostname or parsed.path.strip("/") or parsed.query or parsed.fragment:
        raise ConfigError(f"{name} must be scheme://host[:port] with no path: {value!r}")
    return value.rstrip("/")


def parse_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    shown = without_password(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise ConfigError(f"{name} is not a URL with scheme {' or '.join(schemes)}: {shown!r}")
    try:
        parsed.port  # noqa: B018  (urlparse checks the port only when it is read)
    except ValueError:
        raise ConfigError(f"{name} has an invalid port: {shown!r}") from None
    return value


def parse_int(name: str, value: str, minimum: int | None = None, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} is not an integer: {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name} must be <= {maximum}, got {number}")
    return number


def parse_float(name: str, value: str, minimum: float | None = None) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} is not a number: {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {number}")
    return number


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} is not a boolean (use true/false): {value!r}")


def parse_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def parse_list(name: str, value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def parse_synthesis_engines(name: str, value: str) -> tuple[str, ...]:
    engines = parse_list(name, value)
    if not engines:
        raise ConfigError(f"{name} names no engine")
    for engine in engines:
        parse_choice(name, engine, ("piper", "espeak", "openai"))
    return engines


_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def parse_hostname(name: str, value: str) -> str:
    """A host name or IP address, without scheme or port (those have their own variables)."""
    host = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOSTNAME.match(host):
            raise ConfigError(f"{name} is not a host name or IP address: {value!r}") from None
    return host


def parse_mail_from(name: str, value: str) -> str:
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


def parse_origins(name: str, value: str) -> tuple[str, ...]:
    """Comma-separated `scheme://host[:port]` origins, exactly as browsers send them."""
    origins = []
    for item in parse_list(name, value):
        parsed = urlparse(item)
        try:
            parsed.port  # noqa: B018  (urlparse checks the port only when it is read)
        except ValueError:
            raise ConfigError(f"{name}: {item!r} has an invalid port") from None
        if (
            parsed.scheme not in ("http", "https")
            or not parsed.hostname
            or parsed.username is not None
            or item.endswith("/")
            or parsed.path
            or parsed.params
            or parsed.query
            or parsed.fragment
        ):
            raise ConfigError(
                f"{name}: {item!r} is not an origin (scheme://host[:port], "
                "no path, no trailing slash)"
            )
        origins.append(item.lower())
    if not origins:
        raise ConfigError(f"{name} names no origin")
    return tuple(origins)


def parse_encryption_keys(name: str, value: str) -> tuple[str, ...]:
    keys = parse_list(name, value)
    if not keys:
        raise ConfigError(f"{name} names no key")
    for position, key in enumerate(keys, 1):
        if len(key) < 32:
            raise ConfigError(f"{name}: key {position} is shorter than 32 characters")
    return keys


def _pairs(
    name: str, value: str, keys: tuple[str, ...] | dict[str, object], shape: str, noun: str
) -> list[tuple[str, str]]:
    """`a=x,b=y`: comma-separated key=value pairs whose keys are among `keys`."""
    pairs = []
    for item in parse_list(name, value):
        key, equals, raw = item.partition("=")
        key = key.strip()
        if not equals or key not in keys:
            raise ConfigError(
                f"{name} takes {shape} pairs with {noun} {', '.join(keys)}; got {item!r}"
            )
        pairs.append((key, raw.strip()))
    return pairs


def parse_rate_limits(name: str, value: str) -> tuple[tuple[str, str], ...]:
    """`login=10/minute,submit=0/minute`: named limits as count/period (0 turns one off)."""
    limits = _pairs(name, value, DEFAULT_RATES, "name=count/period", "names")
    for limit, rate in limits:
        try:
            parse_rate(rate)
        except ValueError:
            raise ConfigError(
                f"{name}: {limit} is not count/period (second, minute, hour, "
                f"day or seconds): {rate!r}"
            ) from None
    return tuple(limits)


def parse_kind_limits(name: str, value: str) -> tuple[tuple[str, int], ...]:
    """`video=1073741824,archive=2147483648`: per-kind upload ceilings in bytes."""
    return tuple(
        (kind, parse_int(f"{name} ({kind})", size, 1024))
        for kind, size in _pairs(name, value, MEDIA_KINDS, "kind=bytes", "kinds")
    )
