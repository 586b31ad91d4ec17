"""Which addresses can be accounts (issue 12): lookalikes and hidden characters are refused or folded into one
spelling, so two accounts can never look the same to a person reading the address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from helpers.accountkit import use_cheap_hashing
from openpapers.accounts import service as accounts
from openpapers.accounts.emails import InvalidEmail, normalize_email
from openpapers.accounts.service import AccountError
from openpapers.core.settings import resolve_settings
from openpapers.papers.store import open_store

pytestmark = pytest.mark.usefixtures("backend_db")
PASSWORD = "correct horse battery"
cheap = pytest.fixture(autouse=True, scope="module")(use_cheap_hashing)


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    store = open_store(resolve_settings(tmp_path))  # the backend's database (backend_db set the URL)
    yield store.engine
    store.close()


@pytest.mark.parametrize(("email", "why"), [
    ("user\x00@example.org", "U+0000"),            # NUL
    ("us\u200ber@example.org", "U+200B"),         # zero-width space
    ("user\u200d@example.org", "U+200D"),         # zero-width joiner
    ("\u202eelpmaxe@example.org", "U+202E"),      # right-to-left override
    ("user@exam\u00adple.org", "U+00AD"),         # soft hyphen
    ("us\u3164er@example.org", "U+1160"),         # Hangul filler (NFKC: U+1160): shown blank, category Lo
    ("<script>@example.org", "valid email"),
    ("user@example.test", "special-use"),         # nobody receives mail under .test
    ("us er@example.org", "spaces"),
    ("user\t@example.org", "spaces"),
])
def test_the_issues_lookalikes_are_refused(email: str, why: str) -> None:
    with pytest.raises(InvalidEmail, match=re.escape(why)):
        normalize_email(email)


def test_full_width_and_case_fold_into_the_plain_address() -> None:
    assert normalize_email("ＡＤＡ@ｅｘａｍｐｌｅ.ｏｒｇ") == "ada@example.org"  # NFKC, then lower case
    assert normalize_email("  Ada.Lovelace@Example.ORG ") == "ada.lovelace@example.org"
    assert normalize_email("ﬁnn@example.org") == "finn@example.org"  # the ligature is two letters


def test_a_lookalike_cannot_become_a_second_account(engine: Engine) -> None:
    user = accounts.sign_up(engine, "ada@example.org", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        accounts.sign_up(engine, "ａｄａ@example.org", PASSWORD)  # full-width: the same account, not a new one
    for hidden in ("ada\x00@example.org", "ad\u200ba@example.org", "ada\u202e@example.org"):
        with pytest.raises(AccountError, match="invisible or control"):
            accounts.sign_up(engine, hidden, PASSWORD)
    assert accounts.login(engine, "ＡＤＡ@example.org", PASSWORD).user.id == user.id
