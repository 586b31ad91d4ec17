"""``openpapers user …``: create accounts and manage who is an administrator, from the server's shell.

Administrators can feature papers on a day's feed, moderate comments and manage accounts on ``/admin/users``
(which does what these commands do, except to the administrator's own account). Passwords are read from a
prompt (hidden, asked twice) or ``--password-stdin`` for scripts; never from a command-line argument, which
other users of the machine could see in ``ps``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from openpapers.accounts import repository as db
from openpapers.accounts import service as accounts
from openpapers.accounts.service import AccountError
from openpapers.cli.common import app, fail, open_cli_store, out

users = typer.Typer(help="Accounts: create users, grant or revoke the admin role, list them.", no_args_is_help=True)
app.add_typer(users, name="user")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The account's email (its login)")],
    name: Annotated[str, typer.Option("--name", help="Display name (default: the email's local part)")] = "",
    admin: Annotated[bool, typer.Option("--admin", help="Make the account an administrator")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Create an account (optionally an administrator)."""
    with open_cli_store() as store:  # before asking for a password that could only be refused for another reason
        if accounts.find_user(store.db, email) is not None:
            fail(AccountError(f"an account with email {email.strip().lower()!r} already exists"))
            return
    password = _password(password_stdin)
    with open_cli_store() as store:
        try:
            user = accounts.sign_up(store.db, email, password, name, is_admin=admin)
        except AccountError as exc:
            fail(exc)
            return
    out.print(f"created user {user.id} {user.email}{' (admin)' if user.is_admin else ''}", markup=False)


def _change(email: str, apply: Callable[[Any, int], None], done: str) -> None:
    """Find the account by email, apply one change to it and say what it is now."""
    with open_cli_store() as store:
        user = accounts.find_user(store.db, email)
        if user is None:
            fail(AccountError(f"no account with email {email!r}"))
            return
        apply(store.db, user.id)
    out.print(f"{user.email} is {done}", markup=False)


def _set_admin(email: str, value: bool) -> None:
    _change(email, lambda bind, uid: accounts.set_admin(bind, uid, value),
            "now an administrator" if value else "no longer an administrator")


@users.command("promote")
def promote(email: Annotated[str, typer.Argument(help="Email of an existing account")]) -> None:
    """Make an existing account an administrator."""
    _set_admin(email, True)


@users.command("demote")
def demote(email: Annotated[str, typer.Argument(help="Email of an existing account")]) -> None:
    """Take the administrator role away from an account."""
    _set_admin(email, False)


def _set_disabled(email: str, value: bool) -> None:
    _change(email, lambda bind, uid: accounts.set_disabled(bind, uid, value),
            "now disabled" if value else "enabled again")


@users.command("disable")
def disable(email: Annotated[str, typer.Argument(help="Email of an existing account")]) -> None:
    """Disable an account: no login, its sessions end and its API tokens stop working (nothing is deleted)."""
    _set_disabled(email, True)


@users.command("enable")
def enable(email: Annotated[str, typer.Argument(help="Email of an existing account")]) -> None:
    """Enable a disabled account again."""
    _set_disabled(email, False)


@users.command("list")
def list_users() -> None:
    """List accounts: id, email, admin, disabled, digest frequency, created."""
    with open_cli_store() as store:
        for row in db.list_users(store.db):
            out.print(f"{row['id']}\t{row['email']}\t{'admin' if row['is_admin'] else '-'}\t"
                      f"{'disabled' if row.get('disabled_at') else 'active'}\t"
                      f"{row['digest_frequency']}\t{row['created_at']}", markup=False, highlight=False,
                      soft_wrap=True)  # one line per account at any terminal width (a script reads them)
