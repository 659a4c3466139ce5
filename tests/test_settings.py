from pathlib import Path

import pytest

from xinyi_api.settings import Settings, SettingsError


def test_defaults_use_embedded_database_with_a_local_secret(tmp_path: Path) -> None:
    s = Settings.from_env({"XINYI_DATA_DIR": str(tmp_path)})
    assert s.embedded
    assert len(s.secret_key) >= 32
    # The secret persists, so keys encrypted with it stay readable after a restart.
    assert Settings.from_env({"XINYI_DATA_DIR": str(tmp_path)}).secret_key == s.secret_key


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("XINYI_DB_POOL_MAX", "lots", "integer"),
        ("XINYI_DB_POOL_MAX", "0", "between"),
        ("XINYI_MIGRATE_ON_START", "perhaps", "true/false"),
        ("XINYI_PUBLIC_BASE_URL", "ftp://x", "http"),
        ("XINYI_TIMEZONE", "Mars/Olympus", "time zone"),
        ("DATABASE_URL", "mysql://x", "postgresql"),
        ("XINYI_SCENARIOS", "beef soup", "scenario key"),
        ("XINYI_LOG_LEVEL", "LOUD", "DEBUG"),
        ("XINYI_DB_ACQUIRE_TIMEOUT", "soon", "seconds"),
        ("XINYI_DB_ACQUIRE_TIMEOUT", "0", "between"),
        ("XINYI_DB_ACQUIRE_TIMEOUT", "nan", "between"),
        ("XINYI_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example", "'proxy.example'"),
        ("XINYI_TRUSTED_PROXIES", "10.0.0.1/8", "host bits"),
        ("XINYI_TRUSTED_PROXIES", "0.0.0.0/0", "every address"),
    ],
)
def test_a_bad_variable_is_named_in_the_error(variable: str, value: str, says: str,
                                              tmp_path: Path) -> None:
    env = {"XINYI_DATA_DIR": str(tmp_path), "XINYI_SECRET_KEY": "s" * 20, variable: value}
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    assert info.value.variable == variable
    assert str(info.value).startswith(variable)
    assert says in str(info.value)


def test_external_database_requires_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="XINYI_SECRET_KEY"):
        Settings.from_env({"DATABASE_URL": "postgresql://db/x", "XINYI_DATA_DIR": str(tmp_path)})


def test_pool_minimum_may_not_exceed_maximum(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="XINYI_DB_POOL_MIN"):
        Settings.from_env({"XINYI_DATA_DIR": str(tmp_path), "XINYI_DB_POOL_MIN": "9",
                           "XINYI_DB_POOL_MAX": "3"})


def test_scenario_list_is_parsed(tmp_path: Path) -> None:
    env = {"XINYI_DATA_DIR": str(tmp_path), "XINYI_SCENARIOS": "beef_soup, medical"}
    s = Settings.from_env(env)
    assert s.scenarios == ("beef_soup", "medical")


def test_no_proxy_is_trusted_by_default_and_a_list_is_parsed(tmp_path: Path) -> None:
    assert Settings.from_env({"XINYI_DATA_DIR": str(tmp_path)}).trusted_proxies == ()
    s = Settings.from_env({"XINYI_DATA_DIR": str(tmp_path),
                           "XINYI_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.10,::1"})
    assert s.trusted_proxies == ("10.0.0.0/8", "192.168.1.10/32", "::1/128")
