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
