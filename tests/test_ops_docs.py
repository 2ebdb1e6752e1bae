"""The operations docs name only settings, commands and modules that exist, and the deployment
files in docs/deploy/ parse and agree with the code."""

import configparser
import re

import pytest

from app.cli import main
from app.commands import serve
from indexer.settings import SETTINGS

from .conftest import REPO

DOCS = REPO / "docs"
DEPLOY = DOCS / "deploy"
TEXTS = {p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8")
         for p in sorted(DOCS.glob("*.md")) + sorted(DEPLOY.iterdir())}
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))


def test_every_setting_named_in_the_docs_exists():
    known = {s.name for s in SETTINGS}
    for name, text in TEXTS.items():
        unknown = set(re.findall(r"\bUCC_[A-Z_]*[A-Z]\b", text)) - known
        assert not unknown, f"{name} names settings that indexer/settings.py does not declare: {unknown}"


def test_every_command_named_in_the_docs_exists():
    for name, text in TEXTS.items():
        for command in re.findall(r"(?:^|[\s`/(])(?<!-u )ucc ([a-z][a-z-]*)", text, re.M):
            assert command in main.commands, f"{name} mentions `ucc {command}`, which does not exist"


def test_every_module_path_named_in_the_docs_exists():
    for name, text in TEXTS.items():
        for path in re.findall(r"\b((?:app|indexer|bots|bench|tests|docs)/[\w./*-]*[\w/*])", text):
            assert list(REPO.glob(path.rstrip("/"))), f"{name} names {path}, which does not exist"


def _unit(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None)  # systemd repeats keys
    parser.optionxform = str
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".service"], ids=lambda p: p.name)
def test_service_units_parse_and_are_hardened(path):
    unit = _unit(path)
    assert unit["Unit"]["Description"]
    service = unit["Service"]
    for key in ("ExecStart", "User", "WorkingDirectory", "EnvironmentFile"):
        assert service.get(key), f"{path.name}: [Service] {key} missing"
    expected = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes", "ProtectHome": "yes"}
    for key, value in expected.items():
        assert service.get(key) == value, f"{path.name}: {key}={service.get(key)!r}"
    assert "/var/lib/ucc" in service.get("ReadWritePaths", "").split()
    commands = re.findall(r"bin/ucc ([a-z-]+)", service["ExecStart"])
    assert commands or "gunicorn" in service["ExecStart"]
    assert all(c in main.commands for c in commands), commands


def test_only_the_services_that_need_secrets_read_them():
    for path in UNITS:
        text = path.read_text(encoding="utf-8")
        wants = path.name in ("ucc-web.service", "ucc-slack.service")
        assert ("EnvironmentFile=/etc/ucc/secrets.env" in text) == wants, path.name


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".timer"], ids=lambda p: p.name)
def test_timers_parse_and_start_a_shipped_service(path):
    unit = _unit(path)
    assert unit["Timer"]["OnCalendar"]
    assert (DEPLOY / unit["Timer"]["Unit"]).is_file()
    assert unit["Install"]["WantedBy"] == "timers.target"


def test_env_files_name_only_known_settings():
    known = {s.name for s in SETTINGS}
    for name in ("ucc.env", "secrets.env"):
        keys = re.findall(r"^([A-Z_]+)=", (DEPLOY / name).read_text(encoding="utf-8"), re.M)
        assert keys and set(keys) <= known, name


def test_nginx_limits_match_the_service():
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    default_body = next(s.default for s in SETTINGS if s.name == "UCC_MAX_BODY_BYTES")
    top = re.search(r"client_max_body_size (\d+)k;", conf)
    assert int(top.group(1)) * 1024 == default_body
    read = int(re.search(r"proxy_read_timeout (\d+)s;", conf).group(1))
    assert read > serve.TIMEOUT  # nginx waits longer than gunicorn lets a worker run
    keepalive = int(re.search(r"keepalive_timeout (\d+)s;", conf).group(1))
    assert keepalive < serve.KEEPALIVE  # nginx drops idle upstream connections first
    for closed in ("location /console", "location /api/v1/admin/"):
        block = conf.split(closed, 1)[1].split("}", 1)[0]
        assert "deny all;" in block, closed


def test_readme_links_the_operations_docs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for doc in ("docs/architecture.md", "docs/operations.md", "docs/scaling.md"):
        assert f"]({doc})" in readme and (REPO / doc).is_file()
