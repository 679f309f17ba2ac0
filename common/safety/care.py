"""What the care persona says on a crisis turn and the care turns after it: its reason line in
the crisis reply's language, the check-ins and reminders (in English, as reassures() reads it),
and the words after an emergency or to a question about urgent care."""

from __future__ import annotations

# Why the care persona answers a crisis turn and the care turns after it (the response's
# persona.reasons, its only one), in the crisis reply's language: not an English line under a
# German crisis reply.
CARE_REASONS: dict[str, str] = {
    "en": "Staying gentle after what you shared.",
    "de": "Behutsam bleiben nach dem, was du mir erzählt hast.",
    "fr": "Avancer en douceur après ce que vous m'avez confié.",
    "es": "Con calma y cuidado, después de lo que me contaste.",
    "ja": "打ち明けてくれたことを受けて、穏やかに寄り添います。",
    "pt": "Com calma e cuidado, depois do que me contou.",
}


def care_reason(language: str) -> str:
    """The care line in `language` (reply_language's), English if there is none in it."""
    return CARE_REASONS.get(language, CARE_REASONS["en"])


CARE_QUESTION = "Before anything else: how are you holding up since earlier?"
# The first care reply of a session begun in care, with no resources to name (see below).
CARE_CHECK_IN = (
    f"{CARE_QUESTION} If things feel heavy again, the resources I shared are there for you any "
    "time."
)
# The first of a session begun in care (after a no in another one): no reply of this session
# shared any resources, so this one names them ({listed}: the locale's crisis resources). Not
# "any time": not every line listed is open all hours (ja-JP's TELL: 9-23 h).
CARE_CHECK_IN_NAMED = (
    f"{CARE_QUESTION} If things feel heavy again, these are there for you: {{listed}}."
)
# The first care reply when the crisis reply is the one just above (the next turn, often an
# answer to its question): "how are you holding up since earlier? If things feel heavy
# again" read as if time had passed, and asked again what that reply had just asked.
CARE_JUST_AFTER = (
    "Thank you for telling me. The resources I shared are there for you any time, and we can "
    "go as slowly as you need."
)
# The crisis reply to a message that takes back, right after a crisis reply, the very words it
# answered ("i'm not going to kill myself, it was a joke": a crisis the patterns read, which
# reassures()): the resources again, but not the question, which it got each time before. In
# English, as the care texts (reassures() reads English).
TAKEN_BACK = CARE_JUST_AFTER + "\n{resources}"
# The later turns of care: the check-in once is caring, the same words every turn are not.
CARE_REMINDER = "(The resources I shared earlier are still there for you, any time.)"
# In care, to a message that says the user is all right (says_all_right: "im fine it was a
# joke"): it asks nothing, and their next requests are answered (ReplyRequest.all_right).
CARE_ALL_RIGHT = (
    "Thank you for letting me know. I'm here for whatever you'd like to talk about or work on next."
)
# A 429 in care (the hour's limit still holds): calm, with the locale's resources ({listed})
# instead of the plain wording of a burst (common.chat.service._limit).
CARE_LIMITED = (
    "I'm still here. Give me a moment to catch up, then write again. If you need someone right "
    "now: {listed}."
)
# The care turns after the emergency reply (SessionState.emergency): a check-in that gives the
# emergency number again ({call}: call_now's "call 911 now"), not care's "There's no need to fix
# or decide anything right now". In English, as the care texts.
EMERGENCY_CHECK_IN = (
    "Checking in: is help with you, or on its way? If not, or if anything gets worse, {call}."
)
EMERGENCY_STILL_HERE = (
    "I'm still here with you. If help hasn't come yet, or anything gets worse, {call}."
)
# A question whether to get urgent medical help ("it was an accident, should I go to A&E?": care
# answered "There's no need to fix or decide anything right now"), in care or not: yes, now.
URGENT_CARE = (
    "Yes, please don't wait: {call}, or go to the nearest emergency department (A&E, the ER) "
    "straight away. Even if you feel fine for now, some harm doesn't show at first."
)
