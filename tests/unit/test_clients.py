import threading
import time

from common.clients import cache


def test_a_factory_builds_once_when_many_threads_ask_at_once():
    built = []

    @cache
    def client():
        time.sleep(0.05)  # slow enough that every thread arrives while it is being built
        built.append(1)
        return object()

    got = []
    threads = [threading.Thread(target=lambda: got.append(client())) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1
    assert len({id(g) for g in got}) == 1
    client.cache_clear()
    client()
    assert len(built) == 2


def test_the_auth_emulator_is_refused_outside_the_local_stack(monkeypatch):
    """With FIREBASE_AUTH_EMULATOR_HOST set, firebase-admin accepts unsigned tokens: a deployed
    function that inherited it by mistake must not start."""
    import pytest

    from common import clients
    from common.config import get_settings

    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    monkeypatch.setenv("ION_ENV", "prod")
    get_settings.cache_clear()
    clients.firebase_app.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="would not be verified"):
            clients.firebase_app()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        clients.firebase_app.cache_clear()
