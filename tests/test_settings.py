"""Each setting is one typed attribute of Settings, named after its variable."""

from pathlib import Path

from indexer.settings import SETTINGS, PathSetting, Setting, Settings, load_settings


def test_every_setting_is_an_attribute_named_after_its_variable():
    declared = {name: value for name, value in vars(Settings).items() if isinstance(value, Setting)}
    assert list(declared.values()) == list(SETTINGS)
    for name, setting in declared.items():
        assert name == setting.attribute == setting.name.removeprefix("UCC_").lower()
    assert Settings.rate_limit.name == "UCC_RATE_LIMIT"
    assert Settings.slack_bot_token.name == "SLACK_BOT_TOKEN"


def test_attributes_read_the_snapshot():
    settings = load_settings({"UCC_RATE_LIMIT": "7", "SLACK_BOT_TOKEN": "xoxb-1", "UCC_SLACK_ALLOW_BOTS": "yes"},
                             data_dir="/tmp/ucc-data")
    assert settings.rate_limit == 7 and settings.slack_bot_token == "xoxb-1" and settings.slack_allow_bots is True
    assert settings.data_dir == Path("/tmp/ucc-data") and isinstance(settings.knowledge_dir, Path)
    assert isinstance(Settings.data_dir, PathSetting) and isinstance(Settings.knowledge_dir, PathSetting)
    for s in SETTINGS:
        if s.name not in ("UCC_DATA_DIR", "UCC_KNOWLEDGE_DIR"):
            assert getattr(settings, s.attribute) == settings.values[s.name]


def test_an_unknown_attribute_is_an_attribute_error():
    settings = load_settings({})
    assert getattr(settings, "no_such_setting", "absent") == "absent"
