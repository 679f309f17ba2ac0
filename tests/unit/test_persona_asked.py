"""A persona asked for or said no to in the message, and a request kept for the session: the
turns, their events and what the profile updater learns from them."""

from __future__ import annotations

from common.chat import wiring
from common.personalization.preferences import PersonaStats, Profile
from common.routing.ensemble import Conversation
from tests.fakes import turns


def test_a_policy_that_would_pick_the_refused_persona_leaves_the_pick_to_the_ensemble():
    liked = Profile(stats={**Profile().stats, "riri": PersonaStats(40.0, 1.0)}, turns=60,
                    feedback_count=40)  # fmt: skip
    analysis, _ = turns.analyze_offline("my deploy is failing and the demo is in an hour")
    for refused in (None, "riri"):
        ranking = wiring.rank_personas(
            analysis=analysis,
            convo=Conversation(local_hour=9, refused=refused),
            requested=None,
            seed="t1",
            profile=liked,
            policy_name="thompson",
        )
        shown = {ranking.chosen.id, *(a.id for a in ranking.alternatives)}
        assert ("riri" in shown) is (refused is None)
        assert (ranking.chosen.id == "riri") is (refused is None)
