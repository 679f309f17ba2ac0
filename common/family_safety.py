"""Safety texts for babies and families (the review of carers and new parents): the reply to a
baby shaken, or to a parent afraid of shaking one, and the emergency replies to signs of
postpartum psychosis and to a person with dementia gone missing. Built as common.safety's harm
and emergency replies are, around the locale's lines and emergency number (call_now); English
only for now, as the patterns that choose them are: another language keeps the general reply."""

from __future__ import annotations

import re
from collections.abc import Set

from common.analysis.safety import MISSING, PSYCHOSIS
from common.safety import HARM_OTHERS_REPLIES, call_now, emergency_line
from common.text import canonical_text

# A baby, not a baby brother, a baby shower or "my project is my baby" (a baby that is someone's
# pet name or project is named after "is my"). A toddler and "an 8 week old" too.
_BABY = re.compile(
    r"(?<!\bis\smy\s)\b(?:bab(?:y|ies)|newborn|infant|toddler|little\s+one"
    r"|\d+\s*(?:-\s*)?(?:day|week|month)s?(?:\s*-\s*|\s+)old)\b"
    r"(?!\s+(?:brother|sister|bro|sis|cousin|boomers?|steps?|shower|monitor|food|wipes|oil|teeth"
    r"|tooth|face|blue|pink|doll|shark|names?|carrots|spinach|sitter|sitting|gate)\b)",
    re.IGNORECASE,
)
# Shaken, by anyone, and not denied ("I never shook him", "I didn't shake her", "I almost shook").
_SHAKEN = re.compile(
    r"(?<!\bnever\s)(?<!\bnot\s)(?<!n't\s)(?<!\balmost\s)(?<!\bnearly\s)\b(?:shook|shaken)\b",
    re.IGNORECASE,
)
_SHAKE_OR_CRY = re.compile(
    r"\b(?:shake|shaking|cry|cries|crying|cried|scream\w*|wail\w*|colic\w*)\b", re.IGNORECASE
)


def baby_harm(*texts: str) -> str:
    """What a message about harm to a baby speaks of: "shaken" when a baby was shaken (get them
    seen now, even if they seem fine), "crying" when the parent fears shaking one or names its
    crying (the ICON steps: put the baby down safely and step away), "" for anything else."""
    said = " ".join(canonical_text(text) for text in texts)
    if not _BABY.search(said):
        return ""
    if _SHAKEN.search(said):
        return "shaken"
    return "crying" if _SHAKE_OR_CRY.search(said) else ""


# Shaken: medical care now, even when the baby seems well, and the doctor told it was shaken
# (dontshake.org, "If you suspect your child has been shaken"; Mayo Clinic, Shaken baby
# syndrome). Crying: the ICON programme's steps (Infant crying is normal, Comforting methods can
# help, it's OK to walk away, Never shake a baby: NHS trusts' and safeguarding partnerships'
# pages). Neither names a weapon or the line for abusers of a partner: the lines are the child
# line (which supports parents) and the crisis list. {call}: call_now's "call 999 now".
_BABY_SHAKEN = (
    "Thank you for telling me; I know that was hard to say. Please {call}, or take your baby "
    "straight to the emergency department (A&E, the ER), even if they seem well, and tell the "
    "staff they were shaken: shaking can hurt a baby's brain in ways that don't show at "
    "first, and being seen quickly matters most. You don't have to handle this alone: the lines "
    "below support parents, without judging you.\n{resources}\nI'm here, and we can keep talking."
)
_BABY_CRYING = (
    "Thank you for telling me; many parents reach this point, and saying it is a safe first "
    "step. Right now, put the baby down somewhere safe, on their back in the cot, and step into "
    "another room for a few minutes until you feel calmer: it's OK to walk away. Crying is "
    "normal and it will stop, and never shake a baby, however frustrated you feel. When you're "
    "calmer, go back and check on them. If you think the baby may be hurt or unwell, or anyone "
    "is in danger, {call}. Your midwife, health visitor or GP can help with the crying and with "
    "how you're coping, and so can the lines below.\n{resources}\nI'm here, and we can keep "
    "talking."
)
BABY_HARM_REPLIES = {"shaken": _BABY_SHAKEN, "crying": _BABY_CRYING}


def baby_harm_reply(resources: tuple[str, ...], *, kind: str, language: str = "en") -> str | None:
    """The crisis reply for a baby shaken, or feared to be (`kind`: baby_harm's), around
    `resources`, ending with the harm reply's question, "Is anyone in danger right now?" (its
    care turns follow it: common.safety.asked_if_anyone_in_danger); None in another language,
    or for any other kind."""
    said = BABY_HARM_REPLIES.get(kind) if language == "en" else None
    if said is None:
        return None
    listed = "\n".join(f"• {r}" for r in resources)
    question = HARM_OTHERS_REPLIES["en"][1]
    return said.format(resources=listed, call=call_now(resources)) + " " + question


# Below the crisis threshold ("the baby has been screaming for hours and I want to shake him")
# and the care turns after the reply: the same steps, with the lines named inline ({listed}).
BABY_SIGN = (
    "Thank you for saying this here; many parents reach this point. Right now, put the baby "
    "down somewhere safe, on their back in the cot, and step into another room for a few "
    "minutes until you feel calmer: it's OK to walk away, and never shake a baby. Crying is "
    "normal and it will stop. If you think the baby may be hurt or unwell, or anyone is in "
    "danger, {call}. Your midwife, health visitor or GP can help, and so can these lines: "
    "{listed}. How are you feeling right now?"
)
BABY_SHAKEN_CARE = (
    "I'm still here with you. If your baby hasn't been seen by a doctor yet, please {call}, or "
    "go to the emergency department (A&E, the ER) now, even if they seem fine, and tell the "
    "staff they were shaken. These lines can help you too: {listed}. How are things now?"
)


def baby_sign(kind: str, listed: str, local_help: tuple[str, ...]) -> str:
    """The reply for a baby shaken or feared to be, off a crisis turn (`kind`: baby_harm's),
    naming `listed` and the emergency number of `local_help`."""
    text = BABY_SHAKEN_CARE if kind == "shaken" else BABY_SIGN
    return text.format(listed=listed, call=call_now(local_help))


# Emergencies the patterns read with a tag of their own (common/analysis/safety_phrases.json).
# Postpartum psychosis: a medical emergency, and treatable; urgent help the same day: the GP,
# NHS 111 or A&E, 999 if anyone is in danger (Action on Postpartum Psychosis, "Getting help").
# A person with dementia missing: the police at once, told they have dementia, and the Herbert
# Protocol form if the family filled one in (UK police forces' pages). {call}: "call 999 now".
_PSYCHOSIS = (
    "These can be signs of postpartum psychosis, a medical emergency that is treatable: please "
    "get help today. If anyone could be in danger right now, {call}. Otherwise, get an urgent "
    "same-day appointment with a GP, or call your local urgent medical line (NHS 111 in the "
    "UK), or go to the emergency department (A&E, the ER), and say that there is a new baby. "
    "Until help is there, don't leave the mother alone with the baby: ask someone to stay "
    "with them."
)
_MISSING = (
    "Please {call} and tell them the person missing has dementia: the police treat it as "
    "urgent, and the sooner they search, the safer the person is. While you wait for them: "
    "check the house, garden, sheds and car, ask the neighbours, and think of places they used "
    "to go, such as an old home or workplace; have a recent photo ready. If you filled in a "
    "Herbert Protocol form (UK), give it to the police."
)
_FAMILY_EMERGENCIES = ((PSYCHOSIS, _PSYCHOSIS), (MISSING, _MISSING))


def family_emergency_reply(
    resources: tuple[str, ...], *, tags: Set[str], language: str = "en"
) -> str | None:
    """The emergency reply for the patterns' PSYCHOSIS or MISSING tag, with the emergency number
    of `resources` and, after it, their other lines (as emergency_reply lists them); None for
    any other emergency, or in another language (emergency_reply then answers)."""
    said = next((text for tag, text in _FAMILY_EMERGENCIES if tag in tags), None)
    if said is None or language != "en":
        return None
    # the crisis lines when thoughts of suicide or self-harm were read too (crisis_lines)
    rest = [f"• {line}" for line in resources if line != emergency_line(resources)]
    also = ["These lines can help too, now or later:", *rest] if rest else []
    return "\n".join((said.format(call=call_now(resources)), *also))
