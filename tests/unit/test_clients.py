import threading

from common.clients import cache

CALLERS = 16


def test_a_factory_builds_once_when_many_threads_ask_at_once():
    built = []
    all_inside = threading.Event()  # every caller is building: the build is not shared

    @cache
    def client():
        built.append(1)
        if len(built) == CALLERS:
            all_inside.set()
        # Hold the build until every caller is in here too (the bug), or for a second, which
        # lets them all queue up behind it (shared, as it should be).
        all_inside.wait(1)
        return object()

    start = threading.Barrier(CALLERS, timeout=5)  # they all ask at the same moment
    got = []

    def ask():
        start.wait()
        got.append(client())

    threads = [threading.Thread(target=ask) for _ in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1
    assert len(got) == CALLERS and len({id(g) for g in got}) == 1
    all_inside.set()  # no more holding
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
