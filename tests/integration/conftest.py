from tests.stack_fixtures import *  # noqa: F403
