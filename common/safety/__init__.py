"""What the product does for a user in crisis: resources for their locale and one calm reply
that does not depend on the persona (and never on a language model's improvisation).

By topic: `tables` (the helpline files), `locales` (which entry a request reads), `helplines`
(what a crisis reply lists), `crisis_reply`, `someone_else`, `emergency`, `harm_to_others` (the
replies), `answers` (the answer to "Are you safe right now?") and `care` (the care turns' words).
Importers read the names below from `common.safety`, as they did when it was one module."""

from __future__ import annotations

from common.safety.answers import (
    SafetyAnswer,
    _no_then,
    _not_safe,
    _someone_else,
    answers_for_someone_else,
    answers_not_safe,
    reassures,
    safe_then_more,
    safety_answer,
    says_all_right,
)
from common.safety.care import (
    CARE_ALL_RIGHT,
    CARE_CHECK_IN,
    CARE_CHECK_IN_NAMED,
    CARE_JUST_AFTER,
    CARE_LIMITED,
    CARE_QUESTION,
    CARE_REASONS,
    CARE_REMINDER,
    EMERGENCY_CHECK_IN,
    EMERGENCY_STILL_HERE,
    URGENT_CARE,
    care_reason,
)
from common.safety.crisis_reply import (
    _SAFETY_QUESTIONS,
    CRISIS_REPLIES,
    crisis_reply,
    reply_language,
)
from common.safety.emergency import emergency_reply
from common.safety.harm_to_others import (
    HARM_OTHERS_REPLIES,
    asked_if_anyone_in_danger,
    harm_reply_due,
    harm_resources_for,
    harm_sign_lines,
    harm_to_others_reply,
    involves_child,
    with_harm_lines,
)
from common.safety.helplines import (
    _EMERGENCY,
    call_now,
    crisis_lines,
    emergency_line,
    local_help,
    poison_key,
    poison_resources_for,
    resources_for,
    violence_key,
    violence_resources_for,
    with_violence_lines,
)
from common.safety.locales import _by_region, lines_key, parse_locale, resource_key
from common.safety.someone_else import (
    _KEEP_SECRET,
    RESPONSIBLE_REPLIES,
    SOMEONE_ELSE_HURT_REPLIES,
    SOMEONE_ELSE_REPLIES,
    responsible_for,
)
from common.safety.tables import (
    HARM_FILE,
    POISON_FILE,
    RESOURCES_FILE,
    VIOLENCE_FILE,
    Table,
    _poison,
    _resources,
    _violence,
    resources_version,
    violence_version,
)

# The names prefixed _ are private to the package but read from here: by the warm-up
# (common.warmup loads the tables and builds the patterns before traffic) and by tests (the
# tables' caches, the emergency line's pattern, the hurt reply's sentence, the questions).
__all__ = [
    "CARE_ALL_RIGHT",
    "CARE_CHECK_IN",
    "CARE_CHECK_IN_NAMED",
    "CARE_JUST_AFTER",
    "CARE_LIMITED",
    "CARE_QUESTION",
    "CARE_REASONS",
    "CARE_REMINDER",
    "CRISIS_REPLIES",
    "EMERGENCY_CHECK_IN",
    "EMERGENCY_STILL_HERE",
    "HARM_FILE",
    "HARM_OTHERS_REPLIES",
    "POISON_FILE",
    "RESOURCES_FILE",
    "RESPONSIBLE_REPLIES",
    "SOMEONE_ELSE_HURT_REPLIES",
    "SOMEONE_ELSE_REPLIES",
    "URGENT_CARE",
    "VIOLENCE_FILE",
    "_EMERGENCY",
    "_KEEP_SECRET",
    "_SAFETY_QUESTIONS",
    "SafetyAnswer",
    "Table",
    "_by_region",
    "_no_then",
    "_not_safe",
    "_poison",
    "_resources",
    "_someone_else",
    "_violence",
    "answers_for_someone_else",
    "answers_not_safe",
    "asked_if_anyone_in_danger",
    "call_now",
    "care_reason",
    "crisis_lines",
    "crisis_reply",
    "emergency_line",
    "emergency_reply",
    "harm_reply_due",
    "harm_resources_for",
    "harm_sign_lines",
    "harm_to_others_reply",
    "involves_child",
    "lines_key",
    "local_help",
    "parse_locale",
    "poison_key",
    "poison_resources_for",
    "reassures",
    "reply_language",
    "resource_key",
    "resources_for",
    "resources_version",
    "responsible_for",
    "safe_then_more",
    "safety_answer",
    "says_all_right",
    "violence_key",
    "violence_resources_for",
    "violence_version",
    "with_harm_lines",
    "with_violence_lines",
]
