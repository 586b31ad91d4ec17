"""SMTP delivery: settings from the mail group of :class:`~openpapers.core.settings.Settings`, one connection per
batch, one result per message.

Settings (all optional except the host when mail is to be sent; checked here, when mail is sent):

* ``OPENPAPERS_SMTP_HOST`` (default ``localhost``), ``OPENPAPERS_SMTP_PORT`` (default 25, or 587 with
  ``starttls``, 465 with ``ssl``), ``OPENPAPERS_SMTP_TLS``: ``none`` | ``starttls`` | ``ssl`` (default ``none``),
  ``OPENPAPERS_SMTP_USER`` / ``OPENPAPERS_SMTP_PASSWORD`` (login only when a user is set),
  ``OPENPAPERS_SMTP_TIMEOUT`` seconds (default 30);
* ``OPENPAPERS_MAIL_FROM``: the From address (default ``openpapers <noreply@localhost>``);
* ``OPENPAPERS_UNSUBSCRIBE_MAILTO``: an address for the ``mailto:`` ``List-Unsubscribe`` of digests;
* ``OPENPAPERS_BASE_URL``: the site's public URL, for the links inside messages (``Settings.public_url``).

:func:`send_messages` opens one connection for a whole batch (a 10k-user digest run must not pay a TLS handshake
per message) and yields a :class:`SendResult` right after the server answered for each message, so the caller
can record progress message by message (the digest outbox marks each one sent before the next is handed over).
A message the server refuses (bad recipient, 5xx/4xx on that message) is a result with ``error`` set and the
batch goes on; a broken connection raises :class:`smtplib.SMTPException`/``OSError``, since whether the message
in flight was delivered is then unknown and only the caller's ledger can decide what to do.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from openpapers.core.errors import OpenPapersError
from openpapers.core.settings import MailSettings, WebSettings, load_group, load_mail_settings

TLS_MODES = ("none", "starttls", "ssl")
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
DEFAULT_FROM = "openpapers <noreply@localhost>"


class MailConfigError(OpenPapersError):
    """An SMTP environment variable holds a value that cannot work (a port that is not a number, …)."""


def base_url() -> str:
    """The site's public URL read afresh from the environment (:attr:`WebSettings.public_url`'s one rule); commands
    use their :class:`~openpapers.core.settings.Settings`' ``public_url`` instead."""
    return load_group(WebSettings).public_url


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    tls: str = "none"  # none | starttls | ssl
    user: str | None = None
    password: str | None = None
    mail_from: str = DEFAULT_FROM
    timeout: float = 30.0
    unsubscribe_mailto: str | None = None  # a mailto: List-Unsubscribe address for digests, when configured

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise MailConfigError(f"SMTP TLS mode must be one of {', '.join(TLS_MODES)}, not {self.tls!r}")
        if not 0 < self.port < 65536:
            raise MailConfigError(f"SMTP port {self.port} is out of range")
        if "@" not in parseaddr(self.mail_from)[1]:
            raise MailConfigError(f"OPENPAPERS_MAIL_FROM {self.mail_from!r} is not an email address")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """The mail group read afresh from ``env`` (default: the process environment); see the module docstring."""
        return cls.from_settings(load_mail_settings(env))

    @classmethod
    def from_settings(cls, mail: MailSettings) -> SmtpSettings:
        """Check the mail group of :class:`~openpapers.core.settings.Settings` (kept as given) and build from it."""
        def get(value: str | None) -> str | None:
            return (value or "").strip() or None

        tls = (get(mail.smtp_tls) or "none").lower()
        if tls not in TLS_MODES:
            raise MailConfigError(f"OPENPAPERS_SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {tls!r}")
        try:
            port = int(get(mail.smtp_port) or _DEFAULT_PORTS[tls])
        except ValueError as exc:
            raise MailConfigError(f"OPENPAPERS_SMTP_PORT: bad SMTP setting: {exc}") from None
        try:
            timeout = float(get(mail.smtp_timeout) or 30)
        except ValueError as exc:
            raise MailConfigError(f"OPENPAPERS_SMTP_TIMEOUT: bad SMTP setting: {exc}") from None
        return cls(
            host=get(mail.smtp_host) or "localhost",
            port=port,
            tls=tls,
            user=get(mail.smtp_user),
            password=mail.smtp_password or None,  # not stripped: spaces may be part of it
            mail_from=get(mail.mail_from) or DEFAULT_FROM,
            timeout=timeout,
            unsubscribe_mailto=get(mail.unsubscribe_mailto),
        )

    @property
    def from_address(self) -> str:
        """The bare address of ``mail_from`` (envelope sender, Message-ID domain)."""
        return parseaddr(self.mail_from)[1]


@dataclass(frozen=True, slots=True)
class SendResult:
    message: EmailMessage
    message_id: str | None
    error: str | None = None  # None: the server accepted the message for every recipient
    permanent: bool = False  # the server said 5xx: retrying the same message will not help

    @property
    def ok(self) -> bool:
        return self.error is None


def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    """An open, greeted (and, when configured, encrypted and logged-in) SMTP connection."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.tls == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        client.ehlo()
        if smtp.tls == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
    except BaseException:
        client.close()
        raise
    return client


def send_messages(smtp: SmtpSettings, messages: Iterable[EmailMessage]) -> Iterator[SendResult]:
    """Send ``messages`` over one connection, yielding one :class:`SendResult` per message as it is answered.

    The connection is opened lazily (no connection for an empty batch) and closed when the generator ends or is
    closed. Recipients come from the To/Cc/Bcc headers (Bcc is stripped by ``send_message``).
    """
    client: smtplib.SMTP | None = None
    try:
        for message in messages:
            if client is None:
                client = connect(smtp)
            mid = message.get("Message-ID")
            try:
                refused = client.send_message(message, from_addr=smtp.from_address)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                yield SendResult(message, mid, f"recipients refused: {_describe(exc.recipients)}",
                                 permanent=all(c >= 500 for c in codes))
                _reset(client)
                continue
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                yield SendResult(message, mid, f"{exc.smtp_code} {_text(exc.smtp_error)}",
                                 permanent=exc.smtp_code >= 500)
                _reset(client)
                continue
            if refused:  # accepted for some recipients only: report, but it went out
                yield SendResult(message, mid, f"some recipients refused: {_describe(refused)}", permanent=True)
            else:
                yield SendResult(message, mid)
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def send_message(smtp: SmtpSettings, message: EmailMessage) -> SendResult:
    """Send one message on its own connection (password-reset mail and other one-offs)."""
    return next(iter(send_messages(smtp, [message])))


def new_message(smtp: SmtpSettings, to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A message with From, To, Subject, Date and a Message-ID; plain text, plus an HTML part when given."""
    message = EmailMessage()
    message["From"] = smtp.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = smtp.from_address.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("openpapers", domain=domain)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _reset(client: smtplib.SMTP) -> None:
    """RSET after a refused message so the next one starts a clean transaction on the same connection."""
    with contextlib.suppress(smtplib.SMTPException):
        client.rset()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in refused.items())
