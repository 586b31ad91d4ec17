"""One :class:`Settings` object for the whole process, built once from flags and the environment, then passed down.

Why one object: the same variable used to be read in many modules, each with its own parsing and default (the
public base URL resolved two ways), and ``serve`` handed its settings to worker processes by rewriting
``os.environ``. Now this module is the only reader of the ``OPENPAPERS_*`` variables: the CLI callback builds a
:class:`Settings` (flags win over the environment, the environment over the documented defaults) and hands it to
the web app (``create_app(settings)``), the commands, the worker, digest sending and the search service.

Every setting keeps the variable name it always had; the groups (``database``, ``web``, ``search``, ``mail``,
``schedule``) only sort them by meaning, each field naming its variable through an explicit alias. A blank
variable counts as unset. A value that cannot work stops the build with one line naming the variable
(:class:`SettingsError`).

One deliberate exception to "validated at build": the mail group is kept as the strings given, and
:meth:`openpapers.digests.smtp.SmtpSettings.from_settings` checks them when mail is to be sent (a digest run, a
password-reset mail), so a bad SMTP variable never stops the web app from starting.

``serve --workers N`` starts processes that must build the same app: they get this object serialised as JSON in
the one variable :data:`SERVE_SETTINGS_ENV` (see :func:`settings_for_workers`), not by changing other variables.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from platformdirs import user_data_dir
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from openpapers.core.errors import OpenPapersError

MAX_BODY_BYTES = 1024 * 1024  # every JSON and form body we take is a few kilobytes
DEFAULT_BASE_URL = "http://127.0.0.1:8000"  # links in emails when OPENPAPERS_BASE_URL is not set
SERVE_SETTINGS_ENV = "OPENPAPERS_SERVE_SETTINGS"  # set by `serve --workers N` for its worker processes only
_UNSTRIPPED = frozenset({"OPENPAPERS_SMTP_PASSWORD"})  # spaces may be part of a password
_FALSE = ("0", "false", "no", "off")
G = TypeVar("G", bound=BaseModel)


class SettingsError(OpenPapersError):
    """A setting holds a value that cannot work; the message names its environment variable."""


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")


def _env(name: str, description: str) -> Any:
    return Field(default=None, validation_alias=name, description=description)


class DatabaseSettings(_Group):
    url: str = Field(default="", validation_alias="OPENPAPERS_DATABASE_URL",
                     description="SQLAlchemy URL; default sqlite:///<data dir>/openpapers.db")


class WebSettings(_Group):
    base_url: str | None = Field(default=None, validation_alias="OPENPAPERS_BASE_URL",
                                 description="the site's public URL (links in emails, Secure cookies)")
    cache: bool = Field(default=True, validation_alias="OPENPAPERS_WEB_CACHE",
                        description="the in-process anonymous response cache (0 turns it off)")
    warm_up: bool = Field(default=False, validation_alias="OPENPAPERS_WARM_UP",
                          description="open the search indexes and model as the app starts (serve turns it on)")
    max_body_bytes: int = Field(default=MAX_BODY_BYTES, ge=1, validation_alias="OPENPAPERS_MAX_BODY_BYTES",
                                description="the largest request body taken; larger ones get 413 unread")

    forwarded_allow_ips: str = Field(
        default="", validation_alias="OPENPAPERS_FORWARDED_ALLOW_IPS",
        description="proxy addresses whose X-Forwarded-For/-Proto are believed (comma-separated; default none)")
    arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query", validation_alias="OPENPAPERS_ARXIV_API_URL",
        description="the arXiv API that Submit a paper fetches from (politely: one request per 3 s)")
    account_mail: Literal["smtp", "log"] = Field(
        default="smtp", validation_alias="OPENPAPERS_ACCOUNT_MAIL",
        description="sign-up and reset mails: smtp (sent) or log (the link is logged, for demos)")

    @field_validator("account_mail", mode="before")
    @classmethod
    def _mail_mode(cls, value: Any) -> Any:
        value = str(value).strip().lower()
        if value not in ("smtp", "log"):
            raise ValueError(f"must be 'smtp' or 'log', not {value!r}")
        return value

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        """Each entry an IP address or network (``*`` trusts every client: only behind a proxy that is the only
        way in). Checked here, so a typo stops ``serve`` instead of silently trusting nobody."""
        parts = [p.strip() for p in str(value or "").split(",") if p.strip()]
        for part in parts:
            if part == "*":
                continue
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"has {part!r}, which is not an IP address or network") from None
        return ",".join(parts)

    @field_validator("base_url", mode="before")
    @classmethod
    def _no_trailing_slash(cls, value: Any) -> Any:
        return (str(value).strip().rstrip("/") or None) if value is not None else None

    @field_validator("cache", "warm_up", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        return str(value).strip().lower() not in _FALSE if isinstance(value, str) else value

    @property
    def public_url(self) -> str:
        """The one base URL rule: ``OPENPAPERS_BASE_URL`` when set, else :data:`DEFAULT_BASE_URL`."""
        return self.base_url or DEFAULT_BASE_URL


class SearchSettings(_Group):
    keyword_index: Literal["database", "local"] = Field(
        default="database", validation_alias="OPENPAPERS_KEYWORD_INDEX",
        description="PostgreSQL keyword search: in the database, or tantivy files per host")
    embed_on_import: int = Field(default=2000, ge=0, validation_alias="OPENPAPERS_EMBED_ON_IMPORT",
                                 description="papers an import embeds at once (the rest wait for `index`)")

    @field_validator("keyword_index", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        value = str(value).strip().lower()
        if value not in ("database", "local"):
            raise ValueError(f"must be 'database' or 'local', not {value!r}")
        return value


class MailSettings(_Group):
    """As given (checked by :meth:`openpapers.digests.smtp.SmtpSettings.from_settings` when mail is sent)."""

    smtp_host: str | None = _env("OPENPAPERS_SMTP_HOST", "SMTP server (default localhost)")
    smtp_port: str | None = _env("OPENPAPERS_SMTP_PORT", "SMTP port (default 25, 587 with starttls, 465 with ssl)")
    smtp_tls: str | None = _env("OPENPAPERS_SMTP_TLS", "none | starttls | ssl (default none)")
    smtp_user: str | None = _env("OPENPAPERS_SMTP_USER", "SMTP login (only when set)")
    smtp_password: str | None = _env("OPENPAPERS_SMTP_PASSWORD", "SMTP password")
    smtp_timeout: str | None = _env("OPENPAPERS_SMTP_TIMEOUT", "seconds (default 30)")
    mail_from: str | None = _env("OPENPAPERS_MAIL_FROM", "From address (default openpapers <noreply@localhost>)")
    unsubscribe_mailto: str | None = _env("OPENPAPERS_UNSUBSCRIBE_MAILTO", "mailto: unsubscribe address in digests")


class ScheduleSettings(_Group):
    """``openpapers worker``'s schedule; its flags win over these (parsed by the worker command)."""

    digest_time: str = Field(default="07:00", validation_alias="OPENPAPERS_DIGEST_TIME", description="HH:MM")
    digest_weekday: str = Field(default="mon", validation_alias="OPENPAPERS_DIGEST_WEEKDAY", description="mon … sun")
    timezone: str = Field(default="UTC", validation_alias="OPENPAPERS_TIMEZONE", description="time zone of the times")
    digest_catchup: int = Field(default=3, ge=0, le=60, validation_alias="OPENPAPERS_DIGEST_CATCHUP",
                                description="missed digest periods to send at most")
    harvest_sets: str = Field(default="", validation_alias="OPENPAPERS_HARVEST_SETS",
                              description="comma-separated sets")
    harvest_time: str = Field(default="05:00", validation_alias="OPENPAPERS_HARVEST_TIME",
                              description="HH:MM[,HH:MM…]")
    topics_time: str = Field(default="04:00", validation_alias="OPENPAPERS_TOPICS_TIME",
                             description="HH:MM of the daily topic rebuild, or off")


def _default_data_dir() -> Path:
    return Path(user_data_dir("openpapers"))


class Settings(BaseSettings):
    """Everything configurable, by group. Build it with :func:`resolve_settings` (or ``Settings()``)."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    data_dir: Path = Field(default_factory=_default_data_dir, validation_alias="OPENPAPERS_DATA_DIR",
                           description="where the store and indexes live (--data-dir)")
    database: DatabaseSettings = DatabaseSettings()
    web: WebSettings = WebSettings()
    search: SearchSettings = SearchSettings()
    mail: MailSettings = MailSettings()
    schedule: ScheduleSettings = ScheduleSettings()

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments (flags) first, then the flat ``OPENPAPERS_*`` variables; no .env or secrets files."""
        return init_settings, _FlatEnvironment(settings_cls)

    def model_post_init(self, context: Any, /) -> None:
        data_dir = self.data_dir.expanduser()
        object.__setattr__(self, "data_dir", data_dir)
        if not self.database.url:
            url = f"sqlite:///{data_dir.resolve()}/openpapers.db"
            object.__setattr__(self, "database", self.database.model_copy(update={"url": url}))

    @property
    def database_url(self) -> str:
        return self.database.url

    @property
    def base_url(self) -> str | None:
        """The configured public URL without its trailing slash, or None (see :attr:`public_url`)."""
        return self.web.base_url

    @property
    def public_url(self) -> str:
        return self.web.public_url


class _FlatEnvironment(PydanticBaseSettingsSource):
    """Reads each field's ``OPENPAPERS_*`` variable (its alias) into the nested groups."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every field at once

    def __call__(self) -> dict[str, Any]:
        return environment_values(self.settings_cls, os.environ)


def _group_of(field: FieldInfo) -> type[_Group] | None:
    """The nested group a field holds (``Settings.mail`` → MailSettings), or None for a plain value."""
    kind = field.annotation
    return kind if isinstance(kind, type) and issubclass(kind, _Group) else None


def environment_values(model: type[BaseModel], environ: Mapping[str, str]) -> dict[str, Any]:
    """The values ``environ`` gives ``model``'s fields (by variable name), nested like the model; blank = unset."""
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        group = _group_of(field)
        if group is not None:
            values = environment_values(group, environ)
            if values:
                out[name] = values
            continue
        alias = field.validation_alias
        raw = environ.get(alias) if isinstance(alias, str) else None
        if raw is not None and raw.strip():
            out[name] = raw if alias in _UNSTRIPPED else raw.strip()
    return out


def env_names(model: type[BaseModel] = Settings) -> dict[str, FieldInfo]:
    """Every setting's variable name with its field (the documentation test lists them from here)."""
    out: dict[str, FieldInfo] = {}
    for field in model.model_fields.values():
        group = _group_of(field)
        if group is not None:
            out.update(env_names(group))
        elif isinstance(field.validation_alias, str):
            out[field.validation_alias] = field
    return out


def _variable(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            return str(part)  # already the alias (values read from the environment are validated by it)
        group = _group_of(field)
        if group is not None:
            model = group
        elif isinstance(field.validation_alias, str):
            return field.validation_alias
    return ".".join(str(p) for p in loc)


def settings_error(model: type[BaseModel], exc: ValidationError) -> SettingsError:
    """One line per bad value, each starting with the variable's name."""
    lines = []
    for error in exc.errors():
        name = _variable(model, tuple(error["loc"]))
        if error["type"] == "value_error":  # our own validators' messages read on from the name
            lines.append(f"{name} {error['ctx']['error']}")
        else:
            lines.append(f"{name}: {error['msg']} (got {error.get('input')!r})")
    return SettingsError("; ".join(lines))


def resolve_settings(
    data_dir: str | Path | None = None, database_url: str | None = None, base_url: str | None = None
) -> Settings:
    """Settings from these arguments (the CLI's flags; None: not given) over the environment over the defaults."""
    given: dict[str, Any] = {}
    if data_dir:
        given["data_dir"] = Path(data_dir)
    if database_url:
        given["database"] = {"url": database_url}
    if base_url and base_url.strip().rstrip("/"):
        given["web"] = {"base_url": base_url}
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise settings_error(Settings, exc) from None


def load_group(group: type[G], environ: Mapping[str, str] | None = None) -> G:
    """One group read afresh from ``environ`` (default: the process environment)."""
    try:
        return group.model_validate(environment_values(group, os.environ if environ is None else environ))
    except ValidationError as exc:
        raise settings_error(group, exc) from None


def load_mail_settings(environ: Mapping[str, str] | None = None) -> MailSettings:
    return load_group(MailSettings, environ)


def settings_for_workers(settings: Settings) -> dict[str, str]:
    """The one variable that hands ``settings`` to ``serve``'s worker processes (see :func:`worker_settings`)."""
    return {SERVE_SETTINGS_ENV: settings.model_dump_json()}


def worker_settings() -> Settings:
    """In a ``serve`` worker process: the settings its parent serialised; elsewhere, the environment's."""
    serialised = os.environ.get(SERVE_SETTINGS_ENV)
    if not serialised:
        return resolve_settings()
    return Settings.model_validate_json(serialised)
