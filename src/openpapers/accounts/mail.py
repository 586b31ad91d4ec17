"""The mails accounts send: sign-up confirmation, "you already have an account", password reset.

They go out through the same SMTP settings as digests (``OPENPAPERS_SMTP_*``), checked when a mail is sent, so
a bad SMTP variable never stops the app. With ``OPENPAPERS_ACCOUNT_MAIL=log`` (the demo, a laptop without a mail
server) nothing is sent: the whole message, link included, is logged at WARNING on ``openpapers.accounts.mail``
(stderr under ``openpapers serve``). Each is called after the response went out (a background task): the
reader has their answer, and its timing says nothing about the address; failures go to the operator's log.
"""

from __future__ import annotations

import logging
import sys

from openpapers.core.settings import Settings
from openpapers.digests import smtp as mail

log = logging.getLogger("openpapers.accounts.mail")


def send_account_mail(settings: Settings, to: str, subject: str, text: str, *, what: str) -> None:
    """Send (or, in log mode, log) one account mail; ``what`` names it in the operator's log."""
    if settings.web.account_mail == "log":
        if not log.hasHandlers():  # nobody configured logging (``openpapers serve``): stderr, message only
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            log.addHandler(handler)
        log.warning("%s mail for %s (OPENPAPERS_ACCOUNT_MAIL=log: logged, not sent)\nSubject: %s\n\n%s",
                    what, to, subject, text)
        return
    try:
        smtp = mail.SmtpSettings.from_settings(settings.mail)
        result = mail.send_message(smtp, mail.new_message(smtp, to, subject, text))
        if not result.ok:
            log.error("%s mail refused: %s", what, result.error)
    except Exception:
        log.exception("%s mail failed", what)


def reset_text(name: str, email: str, link: str) -> str:
    return (f"Hello {name},\n\nSomeone (we hope you) asked to reset the password of your openpapers account "
            f"{email}. Set a new one here (the link works once, for an hour):\n\n{link}\n\n"
            "Setting a new password logs out every session of the account and revokes all its API tokens "
            "(create new ones in Settings afterwards).\n\n"
            "If you did not ask for this, ignore this email: your password stays as it is.\n")


def confirm_text(name: str, link: str) -> str:
    return (f"Hello {name},\n\nSomeone (we hope you) signed up for openpapers with this address. Confirm it to "
            f"create your account (the link works once, for a day):\n\n{link}\n\n"
            "If it was not you, ignore this email: no account is created.\n")


def exists_text(name: str, email: str, site: str) -> str:
    return (f"Hello {name},\n\nSomeone (we hope you) tried to sign up for openpapers with {email}, but you "
            f"already have an account with this address: nothing was changed.\n\nLog in: {site}/login\n"
            f"Forgot your password? Reset it: {site}/reset\n\n"
            "If it was not you, ignore this email.\n")
