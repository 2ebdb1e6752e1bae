"""Issue 16, point 7: a minimum strength for UCC_ADMIN_TOKEN. The reviewer's service accepted
``UCC_ADMIN_TOKEN=1``; now every command refuses to start with a weak token and says why and how
to make a good one, without echoing the token."""

from __future__ import annotations

import secrets

import pytest
from click.testing import CliRunner

from indexer.errors import ConfigurationError
from indexer.settings import admin_token_problem, load_settings


WEAK = ["1", "admin", "short-token-15c", " " * 20, "aaaaaaaaaaaaaaaaaaaa", "0123456789abcdef",
        "abcdefghijklmnopqrstuvwxyz", "passwordpassword", "changemechangeme", "Password1234567!",
        "abcabcabcabcabcabcabc", "zyxwvutsrqponmlkjihg", "administratoradministrator"]
STRONG = ["security-test-token-Vq3xK8pZ2mR7", "Xk9-Qr2_vT7bLm4w", "correct horse battery staple",
          "GRPICZ02ve3f3GDOaKseKWNH0ve67sgYZtZ4A9m-Mo0", "0c067b0c88d32ea6b1fedd0592eeddd5"]


@pytest.mark.parametrize("token", WEAK)
def test_a_weak_admin_token_is_refused_with_the_reason(token):
    for load in (lambda: load_settings({"UCC_ADMIN_TOKEN": token}), lambda: load_settings({}, UCC_ADMIN_TOKEN=token)):
        with pytest.raises(ConfigurationError) as caught:
            load()
        message = caught.value.message
        assert "UCC_ADMIN_TOKEN" in message and "16" in message
        assert "secrets.token_urlsafe(32)" in message  # how to make a good one
        if len(token.strip()) >= 8:
            assert token not in message  # never echo the secret


@pytest.mark.parametrize("token", STRONG)
def test_a_strong_admin_token_is_accepted(token):
    assert admin_token_problem(token) is None
    assert load_settings({"UCC_ADMIN_TOKEN": token}).admin_token == token


def test_random_tokens_made_as_the_message_says_always_pass():
    for _ in range(2000):
        assert admin_token_problem(secrets.token_urlsafe(32)) is None
        assert admin_token_problem(secrets.token_hex(16)) is None


def test_every_admin_token_the_tests_configure_is_strong():
    from tests import test_abuse, test_api, test_console, test_console_browser, test_contract

    for module in (test_abuse, test_api, test_console, test_console_browser, test_contract):
        assert admin_token_problem(module.TOKEN) is None, module.__name__
    assert admin_token_problem("another-token-9876543210") is None  # tests/test_console.py's second token


def test_no_token_still_means_the_admin_routes_are_closed():
    assert admin_token_problem("") is None
    assert load_settings({"UCC_ADMIN_TOKEN": ""}).admin_token == ""


def test_the_cli_refuses_to_start_with_a_weak_token(tmp_path):
    from app.cli import main

    result = CliRunner().invoke(main, ["stats"], env={"UCC_ADMIN_TOKEN": "1", "UCC_DATA_DIR": str(tmp_path)})
    assert result.exit_code != 0
    assert "UCC_ADMIN_TOKEN" in result.output and "secrets.token_urlsafe(32)" in result.output
