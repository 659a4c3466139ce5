"""Settings read from the environment once, typed and validated at start-up.

Every variable is documented in the README's configuration table. A bad value stops start-up with a
``SettingsError`` naming the variable, so an operator never has to guess which one is wrong.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from ipaddress import ip_network
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")


class SettingsError(ValueError):
    """A configuration variable is missing or malformed; the message names it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Settings:
    """All configuration of one xinyi-api process."""

    database_url: str | None = None
    """``DATABASE_URL``; ``None`` runs an embedded PostgreSQL in ``data_dir``."""
    read_database_url: str | None = None
    """``XINYI_READ_DATABASE_URL``: a read replica for public reads; defaults to the primary."""
    direct_database_url: str | None = None
    """``XINYI_DIRECT_DATABASE_URL``: the primary *without* a pooler in between, for what needs
    a session of its own (LISTEN, migrations under a session lock, the CLI); defaults to
    ``DATABASE_URL``."""
    scan_cache_mb: int = 128
    """``XINYI_SCAN_CACHE_MB``: bytes of scan profiles (JSON, pages) each worker keeps in
    memory (the LRU's bound; the rest of a worker's memory does not grow with the codes)."""
    db_pooler: str = "none"
    """``XINYI_DB_POOLER``: ``transaction`` when ``DATABASE_URL`` / ``XINYI_READ_DATABASE_URL``
    go through a transaction-mode pooler (PgBouncer): no prepared statements, no session state;
    ``none`` (direct connections)."""
    data_dir: Path = Path(".xinyi")
    db_pool_min: int = 2
    db_pool_max: int = 10
    db_acquire_timeout: float = 0.5
    """``XINYI_DB_ACQUIRE_TIMEOUT``: the longest (s) a request waits for a database connection
    (a free slot, a new connection, the liveness check of an idle one) before it answers 503."""
    migrate_on_start: bool = True
    public_base_url: str = "http://127.0.0.1:8000"
    programme_name: str = "信用淮南 · 诚信码"
    issuing_authority: str = "淮南市发展和改革委员会"
    """``XINYI_ISSUING_AUTHORITY``: 发证机关 printed on posters and print cards."""
    mini_program_appid: str | None = None
    """``XINYI_MINI_PROGRAM_APPID``: the WeChat mini-program the scan page links to for rating
    and complaints (``None``: the page shows no mini-program link)."""
    mini_program_path: str = "pages/store/index"
    """``XINYI_MINI_PROGRAM_PATH``: the mini-program page that opens a store (it gets
    ``subject_id=…`` as its query)."""
    secret_key: str = ""
    """Encrypts the private signing keys stored in the database (``XINYI_SECRET_KEY``)."""
    jwt_issuer: str = "xinyi-api"
    jwt_audience: str = "xinyi-api"
    access_token_ttl: int = 900
    service_token_max_ttl: int = 7 * 24 * 3600
    max_body_bytes: int = 64 * 1024
    timezone: str = "Asia/Shanghai"
    demo: bool = False
    scenarios: tuple[str, ...] | None = None
    """``XINYI_SCENARIOS``: comma-separated scenario keys to enable; ``None`` enables all."""
    log_level: str = "INFO"
    wechat_api_base: str = "https://api.weixin.qq.com"
    """``XINYI_WECHAT_API_BASE``: where ``/sns/jscode2session`` is (a local fake in tests)."""
    wechat_appid: str | None = None
    """``XINYI_WECHAT_APPID``: the mini-program's appid; unset → WeChat login answers 503."""
    wechat_secret: str | None = None
    """``XINYI_WECHAT_SECRET``: the mini-program's AppSecret (set together with the appid)."""
    visit_window_hours: int = 24
    """``XINYI_VISIT_WINDOW_HOURS``: how long a scan (到店证明) lets a consumer rate/complain."""
    refresh_token_ttl: int = 30 * 86400
    """``XINYI_REFRESH_TOKEN_TTL``: lifetime (s) of consumer/merchant refresh tokens."""
    rate_limits: tuple[tuple[str, int, int], ...] = ()
    """``XINYI_RATE_LIMITS``: overrides of the default limits, ``(name, count, seconds)``."""
    personal_code_ttl: int = 60
    """``XINYI_PERSONAL_CODE_TTL``: lifetime (s, 10–60) of a 动态个人信用码."""
    import_max_file_bytes: int = 50 * 1024 * 1024
    """``XINYI_IMPORT_MAX_FILE_BYTES``: largest import file (CSV/XLSX) an upload may send."""
    import_max_batch_bytes: int = 10 * 1024 * 1024
    """``XINYI_IMPORT_MAX_BATCH_BYTES``: largest NDJSON batch of records."""
    import_max_batch_records: int = 10_000
    """``XINYI_IMPORT_MAX_BATCH_RECORDS``: most records (lines) in one NDJSON batch."""
    import_max_rows: int = 1_048_576
    """``XINYI_IMPORT_MAX_ROWS``: most data rows in one import file, upload or CLI."""
    print_dir_: Path | None = None
    """``XINYI_PRINT_DIR``: where print jobs write their outputs; ``None``: ``data_dir/print``
    (read it as ``print_dir``)."""
    print_retention_days: int = 7
    """``XINYI_PRINT_RETENTION_DAYS``: how long a finished print job's output is kept."""
    print_max_codes: int = 200_000
    """``XINYI_PRINT_MAX_CODES``: most codes one print job may select."""
    print_worker: bool = True
    """``XINYI_PRINT_WORKER``: whether this process runs print jobs in the background (off: only
    ``xinyi-api codes export`` or another process runs them)."""
    print_lease_seconds: int = 300
    """``XINYI_PRINT_LEASE_SECONDS``: a running print job whose worker has not checkpointed for
    this long is taken over by another worker (it resumes from the last checkpoint)."""
    trusted_proxies: tuple[str, ...] = ()
    """``XINYI_TRUSTED_PROXIES``: networks (canonical CIDR text) of the reverse proxies whose
    ``X-Forwarded-For`` names the client (``xinyi_api.consumers.context``); empty: the TCP peer
    is the client."""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def print_dir(self) -> Path:
        """Where print jobs write (``XINYI_PRINT_DIR``, default ``XINYI_DATA_DIR/print``)."""
        return self.print_dir_ if self.print_dir_ is not None else self.data_dir / "print"

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def behind_pooler(self) -> bool:
        return self.db_pooler == "transaction"

    @property
    def direct_url(self) -> str | None:
        """Where a session of its own goes: ``XINYI_DIRECT_DATABASE_URL``, else ``DATABASE_URL``."""
        return self.direct_database_url or self.database_url

    def with_database(self, url: str) -> Settings:
        """The same settings pointing at ``url`` (used after an embedded server starts)."""
        return replace(self, database_url=url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings; raise ``SettingsError`` naming the first bad variable."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("XINYI_DATA_DIR", ".xinyi"))
        settings = cls(
            database_url=_opt(env, "DATABASE_URL", _postgres_url),
            read_database_url=_opt(env, "XINYI_READ_DATABASE_URL", _postgres_url),
            direct_database_url=_opt(env, "XINYI_DIRECT_DATABASE_URL", _postgres_url),
            db_pooler=_get(env, "XINYI_DB_POOLER", _pooler, "none"),
            scan_cache_mb=_get(env, "XINYI_SCAN_CACHE_MB", _int_range(8, 65536), 128),
            data_dir=data_dir,
            db_pool_min=_get(env, "XINYI_DB_POOL_MIN", _int_range(0, 500), 2),
            db_pool_max=_get(env, "XINYI_DB_POOL_MAX", _int_range(1, 500), 10),
            db_acquire_timeout=_get(env, "XINYI_DB_ACQUIRE_TIMEOUT", _float_range(0.05, 30.0),
                                    0.5),
            migrate_on_start=_get(env, "XINYI_MIGRATE_ON_START", _bool, True),
            public_base_url=_get(env, "XINYI_PUBLIC_BASE_URL", _base_url, "http://127.0.0.1:8000"),
            programme_name=_get(env, "XINYI_PROGRAMME_NAME", _non_empty(60), "信用淮南 · 诚信码"),
            issuing_authority=_get(env, "XINYI_ISSUING_AUTHORITY", _non_empty(60),
                                   "淮南市发展和改革委员会"),
            mini_program_appid=_opt(env, "XINYI_MINI_PROGRAM_APPID", _appid),
            mini_program_path=_get(env, "XINYI_MINI_PROGRAM_PATH", _mini_program_path,
                                   "pages/store/index"),
            secret_key=env.get("XINYI_SECRET_KEY", ""),
            jwt_issuer=_get(env, "XINYI_JWT_ISSUER", _non_empty(200), "xinyi-api"),
            jwt_audience=_get(env, "XINYI_JWT_AUDIENCE", _non_empty(200), "xinyi-api"),
            access_token_ttl=_get(env, "XINYI_ACCESS_TOKEN_TTL", _int_range(30, 86400), 900),
            service_token_max_ttl=_get(
                env, "XINYI_SERVICE_TOKEN_MAX_TTL", _int_range(60, 90 * 86400), 7 * 86400
            ),
            max_body_bytes=_get(env, "XINYI_MAX_BODY_BYTES", _int_range(1024, 50_000_000), 65536),
            timezone=_get(env, "XINYI_TIMEZONE", _timezone, "Asia/Shanghai"),
            demo=_get(env, "XINYI_DEMO", _bool, False),
            scenarios=_opt(env, "XINYI_SCENARIOS", _key_list),
            log_level=_get(env, "XINYI_LOG_LEVEL", _log_level, "INFO"),
            wechat_api_base=_get(env, "XINYI_WECHAT_API_BASE", _base_url,
                                 "https://api.weixin.qq.com"),
            wechat_appid=_opt(env, "XINYI_WECHAT_APPID", _wechat_appid),
            wechat_secret=_opt(env, "XINYI_WECHAT_SECRET", _wechat_secret),
            visit_window_hours=_get(env, "XINYI_VISIT_WINDOW_HOURS", _int_range(1, 720), 24),
            refresh_token_ttl=_get(env, "XINYI_REFRESH_TOKEN_TTL",
                                   _int_range(300, 365 * 86400), 30 * 86400),
            rate_limits=_get(env, "XINYI_RATE_LIMITS", _rate_limits, ()),
            personal_code_ttl=_get(env, "XINYI_PERSONAL_CODE_TTL", _int_range(10, 60), 60),
            trusted_proxies=_get(env, "XINYI_TRUSTED_PROXIES", _networks, ()),
            import_max_file_bytes=_get(env, "XINYI_IMPORT_MAX_FILE_BYTES",
                                       _int_range(1024, 2**31 - 1), 52428800),
            import_max_batch_bytes=_get(env, "XINYI_IMPORT_MAX_BATCH_BYTES",
                                        _int_range(1024, 2**31 - 1), 10485760),
            import_max_batch_records=_get(env, "XINYI_IMPORT_MAX_BATCH_RECORDS",
                                          _int_range(1, 1_000_000), 10000),
            import_max_rows=_get(env, "XINYI_IMPORT_MAX_ROWS", _int_range(1, 100_000_000),
                                 1048576),
            print_dir_=_opt(env, "XINYI_PRINT_DIR", Path),
            print_retention_days=_get(env, "XINYI_PRINT_RETENTION_DAYS", _int_range(1, 365), 7),
            print_max_codes=_get(env, "XINYI_PRINT_MAX_CODES", _int_range(1, 10_000_000),
                                 200_000),
            print_worker=_get(env, "XINYI_PRINT_WORKER", _bool, True),
            print_lease_seconds=_get(env, "XINYI_PRINT_LEASE_SECONDS", _int_range(30, 86400),
                                     300),
        )
        if (settings.wechat_appid is None) != (settings.wechat_secret is None):
            raise SettingsError("XINYI_WECHAT_SECRET" if settings.wechat_secret is None
                                else "XINYI_WECHAT_APPID",
                                "XINYI_WECHAT_APPID and XINYI_WECHAT_SECRET go together")
        if settings.behind_pooler and settings.direct_database_url is None:
            raise SettingsError("XINYI_DIRECT_DATABASE_URL", "is required with XINYI_DB_POOLER "
                                "(LISTEN and migrations need a direct connection)")
        if settings.db_pool_min > settings.db_pool_max:
            raise SettingsError("XINYI_DB_POOL_MIN", "must not exceed XINYI_DB_POOL_MAX")
        if not settings.secret_key:
            if settings.database_url is not None:
                raise SettingsError(
                    "XINYI_SECRET_KEY",
                    "is required with an external DATABASE_URL (it encrypts the signing keys)",
                )
            settings = replace(settings, secret_key=_local_dev_secret(data_dir))
        elif len(settings.secret_key) < 16:
            raise SettingsError("XINYI_SECRET_KEY", "must be at least 16 characters")
        return settings


def _local_dev_secret(data_dir: Path) -> str:
    """A per-checkout secret for the embedded database, kept next to its data directory."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    # Opened exclusively so two workers starting at once cannot write two different secrets.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def _get(env: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingsError(name, str(exc)) from None


def _opt(env: Mapping[str, str], name: str, parse: Callable[[str], T]) -> T | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingsError(name, str(exc)) from None


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


def _int_range(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected an integer, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def _float_range(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"expected a number of seconds, got {raw!r}") from None
        if not low <= value <= high:  # also refuses nan
            raise ValueError(f"must be between {low:g} and {high:g}, got {raw}")
        return value

    return parse


def _appid(raw: str) -> str:
    if not re.fullmatch(r"wx[0-9a-f]{16}", raw):
        raise ValueError("must be a WeChat appid: wx and 16 hex digits")
    return raw


def _mini_program_path(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*", raw):
        raise ValueError("must be a mini-program page path such as pages/store/index "
                         "(no leading slash, no query)")
    return raw


def _non_empty(max_len: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if not value or len(value) > max_len:
            raise ValueError(f"must be 1 to {max_len} characters")
        return value

    return parse


def _postgres_url(raw: str) -> str:
    if not re.match(r"^postgres(ql)?://", raw):
        raise ValueError("must be a postgresql:// URL")
    return raw


def _pooler(raw: str) -> str:
    value = raw.strip().lower()
    if value in {"transaction", "none"}:
        return value
    raise ValueError("must be 'transaction' (a transaction-mode pooler such as PgBouncer) or "
                     "'none'")


def _base_url(raw: str) -> str:
    value = raw.rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[A-Za-z0-9._~\-/]*)?", value):
        raise ValueError("must be an http(s) URL with an ASCII host, e.g. https://xinyi.example.cn")
    return value


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {raw!r}") from None
    return raw


def _key_list(raw: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for key in keys:
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", key):
            raise ValueError(f"bad scenario key {key!r}")
    return keys


def _wechat_appid(raw: str) -> str:
    value = raw.strip()
    if not re.fullmatch(r"wx[0-9A-Za-z]{16}", value):
        raise ValueError("must be a mini-program appid like wx0123456789abcdef")
    return value


def _wechat_secret(raw: str) -> str:
    value = raw.strip()
    if not re.fullmatch(r"[0-9A-Za-z]{16,64}", value):
        raise ValueError("must be the AppSecret: 16 to 64 letters and digits")
    return value


RATE_LIMIT_NAMES = frozenset({"login", "login_address", "scan", "scan_address", "rating",
                              "rating_address", "complaint", "complaint_address", "claim",
                              "personal_code"})
"""Limits ``XINYI_RATE_LIMITS`` may override (see ``xinyi_api.consumers.ratelimit``)."""


def _rate_limits(raw: str) -> tuple[tuple[str, int, int], ...]:
    """``name=count/seconds`` pairs, comma-separated, e.g. ``rating=20/3600,login=10/60``."""
    out: list[tuple[str, int, int]] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        match = re.fullmatch(r"([a-z_]+)=(\d{1,7})/(\d{1,7})", part)
        if match is None:
            raise ValueError(f"expected name=count/seconds, got {part!r}")
        name, count, seconds = match[1], int(match[2]), int(match[3])
        if name not in RATE_LIMIT_NAMES:
            known = ", ".join(sorted(RATE_LIMIT_NAMES))
            raise ValueError(f"unknown limit {name!r} (known: {known})")
        if count < 1 or not 1 <= seconds <= 7 * 86400:
            raise ValueError(f"{name}: count must be ≥ 1 and seconds 1..604800")
        out.append((name, count, seconds))
    return tuple(out)


MAX_TRUSTED_PROXIES = 64


def _networks(raw: str) -> tuple[str, ...]:
    """Comma-separated addresses or CIDR networks, e.g. ``10.0.0.0/8, 192.168.1.10, ::1``;
    returned as canonical CIDR text (``192.168.1.10/32``)."""
    out: list[str] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            network = ip_network(part, strict=True)
        except ValueError as exc:
            raise ValueError(f"{part!r} is not an IP address or CIDR network ({exc})") from None
        if network.prefixlen == 0:
            raise ValueError(f"{part!r} would trust every address: name the proxies")
        out.append(str(network))
    if len(out) > MAX_TRUSTED_PROXIES:
        raise ValueError(f"at most {MAX_TRUSTED_PROXIES} networks")
    return tuple(out)


def _log_level(raw: str) -> str:
    value = raw.upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return value
