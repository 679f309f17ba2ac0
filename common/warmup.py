"""What a function loads before it serves: the libraries and data its first request would
otherwise load while a user waits.

functions-framework imports the function before gunicorn opens the port and forks the worker,
so what is loaded here is ready when the instance takes traffic (a minimum instance, or one
Cloud Run starts ahead of load, pays it before anyone asks). Only imports and data: a client,
a channel or a thread made here would not survive the fork (`common/prefork.py`); those stay
lazy. numpy stays out too: its BLAS threads belong in the worker, which loads it on a thread of
its own (`draw_in_background`)."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from common.config import Settings


def load_for_turns(*, gemini: bool) -> None:
    """The chat function's: ~0.5 s of its first turn, measured (`benchmarks/import_time.py`)."""
    import firebase_admin.auth  # noqa: F401  the token check
    import google.cloud.firestore
    import google.pubsub_v1.services.publisher
    import httpx  # noqa: F401  the persona model's client

    from common import safety as crisis
    from common.analysis import baseline, entities, safety, sentiment
    from common.support_lines import support_lines

    baseline.load_lexicon()
    entities._load()
    safety.load_rules()
    safety._respelling()  # the respelled spelling's word lists (~65 ms to read and index)
    # The helplines a crisis reply lists (JSON, ~1 ms): a broken file fails the revision's
    # start, not the first user in crisis with a 500.
    crisis._resources()
    crisis.resources_version()  # and its hash, which each crisis event names
    crisis._violence()  # the lines for violence at home, read by the same rules
    crisis.violence_version()
    crisis._poison()  # the lines for poisoning and urgent care, which every turn reads (local_help)
    # The support lines (recovery, loneliness, rights at work, forced labour, sexual assault,
    # cancer support, carers, new parents), which every turn reads too (support_lines) and a
    # crisis of some kinds lists: a broken file fails the start, not every turn.
    support_lines(None, default_locale="en-US")
    # The answers to "Are you safe right now?" (~25 ms to build, from the same file's relation
    # words): a crisis turn must not pay it, and a broken list fails the start, not a user's "no".
    crisis._not_safe()
    crisis._no_then()
    crisis._someone_else()
    sentiment._analyzer()
    if gemini:
        import google.genai  # noqa: F401


def samples_thompson(settings: Settings) -> bool:
    """Whether a turn may choose by Thompson sampling: the configured policy, or an
    experiment's variant (common/experiments.py)."""
    variants = {v.policy for e in settings.experiments for v in e.variants}
    return "thompson" in {settings.personalization_policy, *variants}


def draw_in_background() -> threading.Thread:
    """In each worker (`common/prefork.py`): import numpy and make one Thompson draw on a
    background thread, so that a returning user's first turn on a new instance does not wait
    ~200 ms for them (new users get the static router). A failure is left to that turn."""
    thread = threading.Thread(target=_draw, name="numpy-warm-up", daemon=True)
    thread.start()
    return thread


def _draw() -> None:
    from common.personalization import policies

    with contextlib.suppress(Exception):
        policies.warm_up()
