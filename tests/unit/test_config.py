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
