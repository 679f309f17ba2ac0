"""Settings that guard a deployment against a missing secret."""

import pytest
from pydantic import SecretStr

from common.config import Settings


def test_the_local_stack_keys_analytics_with_the_public_default():
    assert Settings(ion_env="local").analytics_hmac_key() == "local-analytics-key-not-secret"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_a_deployed_function_without_the_secret_refuses_to_key_analytics(env):
    with pytest.raises(RuntimeError, match="ANALYTICS_KEY"):
        Settings(ion_env=env).analytics_hmac_key()
    key = SecretStr("k" * 32)
    assert Settings(ion_env=env, analytics_key=key).analytics_hmac_key() == "k" * 32


@pytest.mark.parametrize("key", ["", " " * 40, "short-key", " " + "k" * 40])
def test_a_weak_analytics_key_is_refused_outside_the_local_stack(key):
    with pytest.raises(RuntimeError, match="too weak"):
        Settings(ion_env="prod", analytics_key=SecretStr(key)).analytics_hmac_key()


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        ({"gemini_base_url": "http://127.0.0.1:9/"}, "GEMINI_BASE_URL"),
        ({"fcm_base_url": "http://127.0.0.1:9/"}, "FCM_BASE_URL"),
        ({"model_google_auth": True, "model_predict_url": "http://10.0.0.1/predict"}, "https"),
    ],
)
def test_the_local_stacks_stand_ins_are_refused_outside_it(settings, refused):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=refused):
        Settings(ion_env="prod", **settings)
    Settings(ion_env="local", **settings)


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        ({"gemini_timeout_seconds": "inf"}, "finite"),  # every turn: OverflowError, templates
        ({"model_breaker_reset_seconds": 1e9}, "less than or equal"),  # open for good
    ],
)
def test_timeouts_are_finite_and_bounded(settings, refused):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=refused):
        Settings(**settings)


@pytest.mark.parametrize(
    ("env", "refused"),
    [
        ({"ION_ENV": "prod", "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8086"}, "FIRESTORE_EMULATOR"),
        ({"ION_ENV": "dev", "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}, "not be verified"),
        ({"K_SERVICE": "ion-prod-chat"}, "ION_ENV is not set"),  # deployed, ION_ENV forgotten
    ],
)
def test_a_function_deployed_with_the_local_stacks_environment_fails_at_import(
    monkeypatch, env, refused
):
    from common.config import EMULATOR_HOSTS, get_settings

    for name in (*EMULATOR_HOSTS, "ION_ENV", "K_SERVICE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(RuntimeError, match=refused):
            get_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_ranking_weights_that_leave_nothing_when_the_model_is_down_are_refused():
    # With the model down its weight drops out; all-zero others ranked every persona 0 and
    # showed Lua to everyone (the numeric review, 2026-12-05).
    from pydantic import ValidationError

    zero = {"ensemble_router_weight": 0, "ensemble_context_weight": 0, "ensemble_time_weight": 0}
    for context in (0, 0.15):  # the context has no signal on a conversation's first turn
        with pytest.raises(ValidationError, match="no signal would rank"):
            Settings(ensemble_model_weight=1, **{**zero, "ensemble_context_weight": context})
    Settings(ensemble_model_weight=1, **{**zero, "ensemble_time_weight": 0.1})


@pytest.mark.parametrize(
    "field",
    ["ensemble_router_weight", "ensemble_model_weight", "ensemble_context_weight",
     "ensemble_time_weight", "thompson_prior_strength"],
)  # fmt: skip
def test_a_huge_ranking_weight_is_refused(field):
    # The numerics review: 1e308 (an exponent typo) passed, summed to inf, and every persona
    # scored 0 or NaN: Lua shown to everyone, or every Thompson draw tied.
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="less than or equal to 1000000"):
        Settings(**{field: 1e308})
    Settings(**{field: 1e6})


@pytest.mark.parametrize("locale", ["us", "xx-YY", "und", ""])
def test_a_default_locale_the_crisis_resources_do_not_have_is_refused(monkeypatch, locale):
    # It gave users who send no Accept-Language the global entry (112, findahelpline.com)
    # instead of their country's line, with no error anywhere.
    from pydantic import ValidationError

    monkeypatch.setenv("SAFETY_DEFAULT_LOCALE", locale)
    with pytest.raises(ValidationError, match="SAFETY_DEFAULT_LOCALE"):
        Settings()


@pytest.mark.parametrize(
    ("locale", "read", "line"),
    [("en_US", "en-US", "988"), ("fr_FR", "fr-FR", "3114"), (None, "en-US", "988")],
)
def test_the_default_locale_is_read_as_apps_write_it(monkeypatch, locale, read, line):
    from common.safety import resources_for

    if locale is None:  # not set: the default, which the validator does not see
        monkeypatch.delenv("SAFETY_DEFAULT_LOCALE", raising=False)
    else:
        monkeypatch.setenv("SAFETY_DEFAULT_LOCALE", locale)
    settings = Settings()
    assert settings.safety_default_locale == read
    assert any(line in r for r in resources_for(None, default_locale=read))
