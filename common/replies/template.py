"""The offline reply generator: persona-voiced templates driven by the analysis and the
conversation. Deterministic (phrasing varies by a stable hash of the message, never randomly)
and safe (only short, cleaned fragments of user text are ever reflected)."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from common.analysis.baseline import has_tone_cue
from common.analysis.entities import extract_entities
from common.analysis.intrusive import intrusive_thoughts
from common.analysis.prognosis import stated_prognosis
from common.analysis.types import Analysis
from common.dictation import spoken_marks
from common.end_of_life import end_of_life_reply
from common.family_safety import baby_harm, baby_sign
from common.languages import not_english
from common.replies.caring import caring_reply
from common.replies.coming_out import coming_out, coming_out_reply
from common.replies.conversion import conversion_practice, conversion_reply
from common.replies.identity_at_work import identity_at_work, identity_at_work_reply
from common.replies.integrity import integrity_kind, integrity_reply
from common.replies.justice import justice_kind, justice_reply
from common.replies.loneliness import isolated
from common.replies.prompt import looks_like_instruction, resource_line, safe_fragment
from common.replies.readers.boundaries import boundary_kind
from common.replies.readers.complaints import complaint
from common.replies.readers.eating import eating_disorder
from common.replies.readers.exposure import occupational_exposure
from common.replies.readers.gambling import gambling_harm
from common.replies.readers.getting_help import asks_to_see_someone, asks_urgent_care
from common.replies.readers.medicine import symptoms_question
from common.replies.readers.professional import professional_kind
from common.replies.readers.recovery import (
    opioid_named,
    relapsed,
    sobriety_milestone,
    substance_recovery,
)
from common.replies.relocation import relocation_reply, relocation_risk
from common.replies.requests import (
    LANGUAGE,
    LIST,
    LISTEN,
    LITERAL,
    NO_QUESTIONS,
    ONE_STEP,
    SHORTER,
    STOP,
    Asked,
    asked,
    asks_to_forget,
)
from common.replies.tonight import tonight_reply
from common.replies.types import ContextTurn, ReplyRequest
from common.replies.workrights import mistreatment_at_work, workrights_reply
from common.routing.ensemble import BRISK
from common.safety import (
    CARE_ALL_RIGHT,
    CARE_CHECK_IN,
    CARE_CHECK_IN_NAMED,
    CARE_JUST_AFTER,
    CARE_REMINDER,
    EMERGENCY_CHECK_IN,
    EMERGENCY_STILL_HERE,
    URGENT_CARE,
    call_now,
    safe_then_more,
    says_all_right,
)
from common.sessions.summary import extract_tried, keywords
from common.text import canonical_text

WORDS_PER_CHUNK = 3


@dataclass(frozen=True)
class _Step:
    """One concrete suggestion. `marker` identifies it in an earlier reply; `keywords` in the
    user's own words mean they already did it."""

    action: str  # imperative, lower case; may use {in_tool}, {for_tool}, {with_tool}, {helper}
    why: str
    marker: str
    keywords: tuple[str, ...] = ()


_STEPS: dict[str, tuple[_Step, ...]] = {
    # Neutral: most problems people bring are not about code ("my landlord won't return my
    # deposit" got "start again from a clean state, such as a fresh session or environment").
    "problem_solving": (
        _Step(
            "write down when this started and what changed around then",
            "it usually points straight at the cause",
            "what changed around then",
        ),
        _Step(
            "pick the smallest next step you could take today",
            "a small move is easier to start than the whole problem",
            "smallest next step",
        ),
        _Step(
            "ask {helper}, or someone who has dealt with this before, to look at it with fresh "
            "eyes",
            "a second person spots what we have stopped seeing",
            "fresh eyes",
        ),
        _Step(
            "list what you've already tried and what happened each time",
            "it shows what to rule out and what to try next",
            "what happened each time",
        ),
        _Step(
            "put the facts and what you're asking for in writing, to whoever can decide",
            "a clear written request is harder to ignore",
            "asking for in writing",
        ),
        _Step(
            "separate the part you can control from the part you can't",
            "it keeps your effort where it counts",
            "part you can control",
        ),
    ),
    "learning": (
        _Step(
            "pick one small concept{in_tool} and explain it in three sentences",
            "explaining shows what you really understand",
            "one small concept",
        ),
        _Step(
            "build a tiny example{with_tool} that uses just that idea",
            "doing locks in what reading starts",
            "tiny example",
        ),
        _Step(
            "spend 25 focused minutes on one official tutorial{for_tool}",
            "a guided path keeps you from wandering",
            "official tutorial",
            ("tutorial", "course"),
        ),
        _Step(
            "write down three questions you can't answer yet",
            "it turns fog into a short list",
            "three questions",
        ),
        _Step(
            "explain what you learned to {helper}",
            "teaching exposes the gaps",
            "explain what you learned",
        ),
        _Step(
            "review your notes for five minutes before adding anything new",
            "spaced review makes it stick",
            "review your notes",
            ("notes",),
        ),
    ),
    "emotional_support": (
        _Step(
            "take three slow breaths and notice where the tension sits",
            "it gives your body a moment to settle",
            "three slow breaths",
            ("breath", "breathing"),
        ),
        _Step(
            "write down what's weighing on you, without trying to fix it yet",
            "getting it out of your head makes it lighter",
            "weighing on you",
            ("journal", "wrote it down"),
        ),
        _Step(
            "tell someone close to you how you're really feeling",
            "being heard eases the load",
            "someone close to you",
        ),
        _Step(
            "step outside for a ten-minute walk",
            "movement shifts how the mind feels",
            "ten-minute walk",
            ("walk",),
        ),
        _Step(
            "name one thing that went okay today, however small",
            "it balances the picture",
            "went okay today",
        ),
        _Step(
            "treat yourself the way you'd treat a friend in the same spot",
            "kindness works better than pressure",
            "a friend in the same spot",
        ),
    ),
    "decision_making": (
        _Step(
            "list the three things that matter most to you in this choice",
            "it turns a vague choice into clear criteria",
            "matter most to you",
            ("pros and cons",),
        ),
        _Step(
            "write the best and worst realistic outcome of each option",
            "it shows what is really at stake",
            "best and worst",
        ),
        _Step(
            "ask yourself which option you'd regret not trying",
            "regret is a good compass",
            "regret not trying",
        ),
        _Step(
            "talk it through with {helper}",
            "saying it out loud often settles it",
            "talk it through",
        ),
        _Step(
            "run a small, reversible test of one option first",
            "you learn cheaply before committing",
            "reversible test",
        ),
        _Step(
            "set yourself a date to decide and stop researching after it",
            "it ends the back-and-forth",
            "a date to decide",
        ),
    ),
    "planning": (
        _Step(
            "write down the outcome you want in one sentence",
            "everything else follows from it",
            "outcome you want",
        ),
        _Step(
            "break the work into three milestones",
            "progress becomes visible",
            "three milestones",
            ("milestone",),
        ),
        _Step(
            "pick the very first task and block 30 minutes for it",
            "a plan only starts when its first task does",
            "block 30 minutes",
        ),
        _Step(
            "list what could go wrong and one fallback for each",
            "surprises cost less",
            "one fallback",
        ),
        _Step(
            "share the plan with {helper} to check it's realistic",
            "another view catches blind spots",
            "check it's realistic",
        ),
        _Step(
            "order the tasks by deadline first, then by effort",
            "the urgent things don't slip",
            "by deadline first",
            ("to-do list", "todo list", "prioritised", "prioritized"),
        ),
    ),
    "motivation": (
        _Step(
            # literal ("shrink the task" is a figure of speech), and naming what they can't
            # start when they said it ({task}: _stuck_on)
            "do one part of {task} that takes five minutes, starting now",
            "starting is the hardest part",
            "takes five minutes",
        ),
        _Step(
            "set a 25-minute timer and begin with the easiest piece",
            "momentum builds motivation",
            "25-minute timer",
            ("timer", "pomodoro"),
        ),
        _Step(
            "write down why this matters to you",
            "purpose pulls harder than pressure",
            "why this matters",
        ),
        _Step(
            "plan a small reward for when you finish",
            "your brain likes a finish line",
            "small reward",
            ("reward",),
        ),
        _Step(
            "tell {helper} what you'll get done today",
            "a little accountability goes a long way",
            "get done today",
        ),
        _Step(
            "look back at one thing you've already finished",
            "it is proof that you can do it",
            "already finished",
        ),
    ),
    "feedback": (
        _Step(
            "write down the one point that stood out most, then what's useful in it",
            "it separates the signal from the sting",
            "stood out most",
        ),
        _Step(
            "ask {helper} for one specific example",
            "examples turn opinions into something you can act on",
            "specific example",
        ),
        _Step(
            "separate what you can change from what you can't",
            "it keeps your energy where it counts",
            "what you can change",
        ),
        _Step(
            "pick one point to act on this week",
            "one change beats a long list",
            "act on this week",
        ),
        _Step(
            "say thank you and ask one follow-up question",
            "it keeps the conversation open",
            "follow-up question",
        ),
    ),
    # For a chronic illness or disability that limits their energy (readers.health.health_limits),
    # in place of motivation, check-in, planning and study steps: pacing within what their body
    # allows today, not a timer or a push to do more.
    "pacing": (
        _Step(
            "notice when your energy is usually best, and keep that time for what matters most",
            "it spends your energy where it counts",
            "energy is usually best",
        ),
        _Step(
            "pick one thing for today and let the rest wait",
            "a smaller day still counts",
            "let the rest wait",
        ),
        _Step(
            "plan a rest before you feel you need it",
            "resting early keeps a good day from costing you the next",
            "rest before you feel you need it",
            ("rest",),
        ),
        _Step(
            "split one task into short parts with rests in between",
            "short stretches cost less energy than one long push",
            "rests in between",
            ("pacing", "paced"),
        ),
        _Step(
            "write down what a good day costs you the day after",
            "it shows how much your energy allows",
            "costs you the day after",
        ),
        _Step(
            "ask {helper} about adjustments that would help, such as flexible hours",
            "the work can change to fit you, not only the other way round",
            "adjustments that would help",
        ),
    ),
    "check_in": (
        _Step(
            "rate your energy right now from one to ten",
            "it tells us how big the next step should be",
            "from one to ten",
        ),
        _Step(
            "name one win since we last talked",
            "small wins add up",
            "one win since",
        ),
        _Step(
            "pick one small thing to move forward today",
            "it keeps the momentum going",
            "move forward today",
        ),
        _Step(
            "check whether anything is blocking you",
            "blockers are easier to clear early",
            "blocking you",
        ),
        _Step(
            "plan a short break for later today",
            "rest keeps the pace sustainable",
            "short break",
            ("break",),
        ),
    ),
    # Loneliness and isolation (common.replies.loneliness.isolated), whatever the intent read:
    # human contact, not a tutorial, a written request or "someone close to you" to a user who
    # said there is no one (the loneliness review). {befriending}: the locale's lines, if any.
    "connection": (
        _Step(
            "send one short message to someone you've lost touch with, just to say hello",
            "a small hello often restarts a friendship",
            "lost touch with",
            ("texted", "messaged", "reached out"),
        ),
        _Step(
            "look for a class, club or group around something you enjoy, in person or online",
            "a shared interest makes it easier to start talking",
            "class, club or group",
            ("joined a club", "joined a class", "joined a group"),
        ),
        _Step(
            "volunteer once for something you care about",
            "working side by side is an easy way to meet people",
            "volunteer once",
            ("volunteer",),
        ),
        _Step(
            "for a regular, friendly chat, contact a befriending service{befriending}",
            "a friendly voice to look forward to makes the days less empty",
            "befriending service",
            ("befriend",),
        ),
        _Step(
            "say hello to one neighbour, or someone you see often, and ask how they are",
            "small everyday chats add up to feeling part of a place",
            "one neighbour",
        ),
    ),
}

# Debugging steps, offered for problem_solving only when the message or the session's window is
# about technology (a tool named, or a technical word: see _technical).
_TECHNICAL_STEPS: tuple[_Step, ...] = (
    _Step(
        "write down the exact error{in_tool} and what changed just before it",
        "it usually points straight at the cause",
        "exact error",
    ),
    _Step(
        "reproduce it with the smallest example you can",
        "it separates the real bug from everything around it",
        "smallest example",
        ("reproduce", "repro"),
    ),
    _Step(
        "undo the most recent change and test again",
        "recent changes are the usual suspects",
        "most recent change",
        ("undo", "revert", "rolled back", "roll back"),
    ),
    _Step(
        "read the logs{in_tool} around the moment it fails",
        "the first warning is often the real cause",
        "read the logs",
        ("logs", "log file"),
    ),
    _Step(
        "search the exact wording of the error in the official docs{for_tool}",
        "someone has usually hit it before",
        "official docs",
        ("docs", "documentation", "googled", "stack overflow"),
    ),
    _Step(
        "start again from a clean state, such as a fresh session or environment",
        "it clears out hidden leftovers",
        "clean state",
        ("restart", "reboot", "reinstall", "fresh install"),
    ),
)
_ALL_STEPS = (*(s for steps in _STEPS.values() for s in steps), *_TECHNICAL_STEPS)
# The intent whose pool each step comes from: a short follow-up ("still not working") continues
# the previous reply's intent, whatever the follow-up's own label.
_INTENT_OF = {s.marker: i for i, steps in _STEPS.items() for s in steps} | {
    s.marker: "problem_solving" for s in _TECHNICAL_STEPS
}
# Not "crash" alone: "my best friend died in a car crash" got "read the logs".
_TECH_WORDS = re.compile(
    r"\b(?:bugs?|buggy|keeps?\s+crashing|crash(?:es|ed|ing)?\s+(?:on\s+\w+|logs?|reports?|dumps?)"
    r"|compil\w+|deploy\w*|stack\s*trace|exception|server"
    r"|scripts?|api|database|code|coding|laptop|computer|software|website|browser|router"
    r"|wi-?fi|app|ssh|git|login|password|error\s+(?:message|code)|(?:the|my|our)\s+build"
    r"|build\s+fail\w*)\b",
    re.IGNORECASE,
)

_ELRO_STEPWISE = frozenset({"learning", "planning", "motivation", "check_in", "pacing"})
# Steps that push to do more: not while a heavy event or health limits hold (_gentle_intent).
_PUSHING = frozenset({"motivation", "check_in"})
_EXERTING = frozenset({"ten-minute walk"})  # not for health limits (a wheelchair), nor an ED

_FOCUS = {
    "problem_solving": "this problem",
    "learning": "what you're learning",
    "emotional_support": "what you're carrying",
    "decision_making": "this decision",
    "planning": "your plan",
    "motivation": "getting going",
    "feedback": "that feedback",
    "check_in": "how things are going",
    "pacing": "your energy",
    "connection": "finding company",
}

# Two openers per tone and persona: a follow-on turn with the same tone takes the second rather
# than repeat the sentence it opened the reply just before with.
_OPENERS: dict[str, dict[str, tuple[str, str]]] = {
    "lua": {
        "frustrated": (
            "That sounds really frustrating, and it makes sense that it wears on you.",
            "I can hear how much this is grating on you, and that's fair.",
        ),
        "anxious": (
            "I can hear the worry in this, and it's okay to feel anxious about it.",
            "That worry makes sense, and we can hold it gently together.",
        ),
        "sad": (
            "I'm sorry it feels so heavy right now; that sadness deserves some room.",
            "This still sounds heavy, and it's okay to let it be heavy for a moment.",
        ),
        "overwhelmed": (
            "It sounds like a lot is landing on you at once, and that's a lot to hold.",
            "There's still a lot on your plate; let's set some of it down for now.",
        ),
        "confused": (
            "It's okay that this feels confusing; clarity often comes once we slow down.",
            "Let's untangle this slowly; there's no rush to have it all clear.",
        ),
        "curious": (
            "I like that you're curious about this; let's explore it gently.",
            "That's a lovely thing to wonder about; let's stay with it a little.",
        ),
        "excited": (
            "I can feel your excitement, and it's lovely to pause with it for a moment.",
            "That brightness comes through, and it's worth savouring.",
        ),
        "calm": (
            "You sound grounded, and that's a good place to think from.",
            "There's a steadiness in how you put that, and it helps.",
        ),
    },
    "riri": {
        "frustrated": (
            "Ugh, frustrating! Let's turn that energy into action.",
            "Still annoying, I get it, so let's hit it from another side.",
        ),
        "anxious": (
            "Worry is loud, but action quiets it, so let's move.",
            "Nerves are normal; moving beats worrying, so here we go.",
        ),
        "sad": (
            "That's a rough spot, and I'm sorry; let's find one thing that helps.",
            "Rough going, I hear you; one small win can shift the day.",
        ),
        "overwhelmed": (
            "Too much at once? Let's cut it down to size, fast.",
            "Still a pile? Fine, we slice it smaller.",
        ),
        "confused": (
            "Confusing, sure, so let's make it clear quickly.",
            "No problem, let's make it simple.",
        ),
        "curious": (
            "Love the curiosity, let's dig in!",
            "Good question, let's get into it!",
        ),
        "excited": (
            "Yes, that energy is great, let's use it!",
            "Love it, let's keep that momentum!",
        ),
        "calm": (
            "Nice and steady, perfect for getting things done.",
            "Steady is good, let's make progress.",
        ),
    },
    "elro": {
        "frustrated": (
            "I understand the frustration; a structured look usually helps.",
            "That frustration is reasonable; let's look at it from another angle.",
        ),
        "anxious": (
            "It's understandable to feel anxious; breaking it down makes it manageable.",
            "The worry is understandable; some order should make it smaller.",
        ),
        "sad": (
            "I'm sorry you're feeling low; let's take this one clear piece at a time.",
            "I'm sorry it's still hard; let's keep things simple and clear.",
        ),
        "overwhelmed": (
            "When everything lands at once, structure helps, so let's separate it.",
            "There's a lot here, so let's sort it before acting.",
        ),
        "confused": (
            "Confusion usually means a missing piece; let's lay it out in order.",
            "Let's pin down the unclear part first, then build from there.",
        ),
        "curious": (
            "That's a good thing to be curious about; let's reason through it.",
            "A good question; let's work through it carefully.",
        ),
        "excited": (
            "That's exciting; let's channel it into a clear approach.",
            "Good momentum; let's give it a clear direction.",
        ),
        "calm": (
            "You sound clear-headed, which is ideal for weighing this.",
            "A steady frame of mind helps; let's use it.",
        ),
    },
    "nana": {
        "frustrated": (
            "Oh, that sounds so frustrating, and you've clearly put in real effort.",
            "I know this is wearing you down, and you're still showing up for it.",
        ),
        "anxious": (
            "I can tell you're worried, and I want you to know you're not alone in this.",
            "It's okay to feel nervous, and I'm right here with you.",
        ),
        "sad": (
            "I'm so sorry you're feeling down, and thank you for telling me.",
            "I'm sorry it still feels hard, and I'm glad you're talking to me.",
        ),
        "overwhelmed": (
            "That's so much to carry, and you're doing better than you think.",
            "That's a lot at once, and you don't have to carry it all today.",
        ),
        "confused": (
            "It's completely okay to feel unsure, and asking is a brave first step.",
            "Not knowing yet is perfectly fine, and we'll figure it out together.",
        ),
        "curious": (
            "I love your curiosity, that's exactly how growth starts!",
            "What a good thing to wonder about!",
        ),
        "excited": (
            "That's wonderful, I'm so happy for you!",
            "Oh, how lovely, that's brilliant to hear!",
        ),
        "calm": (
            "It's lovely to hear you sounding so settled.",
            "You sound so steady, and that's wonderful.",
        ),
    },
}

_FOLLOW_UP = {
    "lua": "I hear that {prev} didn't help, and that's discouraging; let's try another way in.",
    "riri": "OK, {prev} didn't cut it, so scrap that: new angle.",
    "elro": "Since {prev} didn't resolve it, let's rule that out and take a different path.",
    "nana": (
        "Thank you for giving {prev} a real try; since it didn't do the trick, let's find "
        "something different together."
    ),
}

_FOLLOW_UP_ENDS = tuple(text.split("{prev}")[1].lower() for text in _FOLLOW_UP.values())

_EARLIER = {
    "lua": "This connects with what you shared earlier about {x}.",
    "riri": "Still on {x} from earlier, good, let's keep rolling.",
    "elro": "This builds on what you raised earlier about {x}.",
    "nana": "I remember you mentioned {x} earlier, and I'm glad you came back to it.",
}

_SPECIFICS = {
    "lua": "Keep {items} in view, without letting {it} crowd you.",
    "riri": "Plan around {items}.",
    "elro": "Factor in the specifics you named: {items}.",
    "nana": "I know {items} {be} on your mind, and you can handle this.",
}

_LUA_QUESTIONS = (
    "What feels heaviest about it right now?",
    "How does that sit with you?",
    "What would feel like enough for today?",
)
_HEAVY = frozenset({"frustrated", "anxious", "sad", "overwhelmed"})
_RIRI_CLOSERS = (
    "Go, and tell me how step 1 goes!",
    "Start now and report back!",
    "Pick one and go, you've got this!",
)
_ELRO_OPTION_CLOSERS = (
    "I'd start with option A, then reassess once you see the result.",
    "I'd begin with option A because it is the smaller first move, then weigh B.",
)
_ELRO_STEP_CLOSERS = (
    "Work through them in order and note what you learn at each step.",
    "Take them in sequence; each one makes the next easier.",
)
_NANA_CHECKINS = (
    "How are you feeling about giving that a go?",
    "I'm proud of you for reaching out; how does that sound?",
    "Will you let me know how it goes?",
)


def _phrases(phrases: set[str]) -> frozenset[str]:
    """Whole messages as _said reads them: without apostrophes, which dictation and quick
    typing leave out ("i dont get it", "ill try that")."""
    return frozenset(phrase.replace("'", "") for phrase in phrases)


# A whole message that only acknowledges or closes ("thanks!", "ok", "bye") got an opener that
# misread it ("thanks!" -> "I can feel your excitement") and 2-3 new steps. "yes", "no", "sure",
# "idk" and "hmm" are left out: they answer the question most replies end with, and a "no" or
# "idk" there says the step does not fit, which a goodbye would brush off.
_THANKS = _phrases(
    {"thanks", "thank you", "thanks a lot", "thank you so much", "thx", "ty", "cheers"}
    | {"ok thanks", "ok thank you", "okay thanks", "okay thank you", "thanks that helps"}
    | {"that helped", "that helps", "great that helped", "great that helped a lot"}
    | {"that helped a lot", "thanks that helped", "bye", "goodbye", "bye thanks", "thanks bye"}
    | {"see you", "see ya", "cya", "talk later", "good night", "night"}
)
_NOTED = _phrases(
    {"ok", "okay", "k", "kk", "cool", "nice", "great", "got it", "alright", "all right"}
    | {"sounds good", "will do", "noted", "perfect", "awesome", "lol", "haha", "ok cool"}
)
_CLOSING: dict[str, dict[bool, str]] = {  # persona -> thanked? -> the whole reply
    "lua": {
        True: "I'm glad that helped; I'm here whenever you want to pick it up again.",
        False: "Okay. Take your time; I'm here whenever you want to pick it up again.",
    },
    "riri": {
        True: "Glad that helped! Ping me when you're ready for the next move.",
        False: "Got it! Ping me when you're ready for the next move.",
    },
    "elro": {
        True: "Glad that helped; when you're ready, we can pick up where we left off.",
        False: "Understood; when you're ready, we can pick up where we left off.",
    },
    "nana": {
        True: "You're so welcome, I'm glad that helped; I'm always here when you want to talk.",
        False: "Okay, lovely; I'm always here when you want to talk.",
    },
}

# Questions about the reply just before got unrelated new advice: "what do you mean?" and
# "why?" are answered by restating its first step and the reason for it.
_CLARIFY = _phrases(
    {"what do you mean", "what do you mean by that", "what does that mean", "meaning", "huh"}
    | {"why", "why that", "why though", "how so", "how come", "i don't understand"}
    | {"i don't get it", "i don't follow", "not sure what you mean", "explain", "explain that"}
    | {"can you explain", "can you explain that", "say that differently", "can you rephrase"}
    | {"can you say that differently", "can you rephrase that", "say that again", "rephrase"}
)
_MISREAD = _phrases(  # the reply answered something else: ask, rather than restate it
    {"that's not what i asked", "that's not what i meant", "not what i asked"}
    | {"that's not my question", "you didn't answer my question", "that's not what i said"}
)
_ALREADY_SAID = _phrases(  # a different step, not the same one again
    {"you already said that", "you said that already", "you already told me that"}
    | {"you said that before", "you're repeating yourself", "you keep saying that"}
)
_RESTATE = {
    "lua": "I meant: {action}, because {why}. Does that feel clearer?",
    "riri": "I meant: {action}, because {why}. Give it a go and tell me how it went!",
    "elro": "I meant: {action}, because {why}. Does that reasoning make sense?",
    "nana": "I meant: {action}, because {why}. Does that make more sense now?",
}
_UNCLEAR = {  # nothing of ours to restate (a free-text reply, or a closing line)
    "lua": "I'm sorry, I didn't put that well. Which part would you like me to say differently?",
    "riri": "My bad! Which part do you want said differently?",
    "elro": "Let me correct that: which part should I explain differently?",
    "nana": "Oh, I'm sorry I didn't explain that well. Which part shall I say differently?",
}
_ASK_AGAIN = {
    "lua": "I'm sorry, I think I missed what you were asking. Could you tell me again, in a few "
    "words?",
    "riri": "Oops, I missed your question! Hit me with it again, short version?",
    "elro": "It seems I answered a different question. Could you restate what you'd like to know?",
    "nana": "Oh, I'm sorry I missed what you asked. Would you tell me again, so I can get it "
    "right?",
}
# A complaint about the reply before or an insult (common.replies.readers.complaints.complaint):
# "shut up bitch" got "you've clearly put in real effort", "you are a stupid worthless piece of
# junk" Lua's sadness opener. Calm, sorry, and a way on, as _UNCLEAR; no mood read into it.
_COMPLAINED = {
    "lua": "I'm sorry that wasn't helpful. What would help more, or would you like to talk with "
    "another mentor?",
    "riri": "Sorry, that one missed! What would help more, or want to try another mentor?",
    "elro": "I'm sorry that wasn't useful. What would help more, or would you prefer another "
    "mentor?",
    "nana": "Oh, I'm sorry that wasn't helpful. What would help more, or would you like another "
    "mentor?",
}
_COMPLAINED_FIRST = (
    "I'm sorry this is frustrating. What would help, or would you like another mentor?"
)
_REPEATED = {
    "lua": "You're right, I said that already; let's try something different.",
    "riri": "Fair, I repeated myself, so here's something new.",
    "elro": "Correct, that was a repeat; here is a different approach.",
    "nana": "You're right, I repeated myself, I'm sorry; let's try something new together.",
}

# Short answers to the reply before (the yes/no review: "no" after breathing exercises got "That
# sounds really frustrating" and a fresh check-in plan about "how things are going"). They apply
# only when that reply offered a step; care and crisis are answered before this.
_YES = _phrases(
    {"yes", "yeah", "yep", "yup", "sure", "yes please", "ok sure", "okay sure", "sure thing"}
    | {"sounds good to me", "i'll try", "i'll try that", "i will", "let's do it", "ok i'll try"}
)
_NO = _phrases(
    {"no", "nope", "nah", "no thanks", "no thank you", "not really", "not that", "not for me"}
)
_UNSURE = _phrases(
    {"idk", "i don't know", "dunno", "hmm", "hmmm", "maybe", "kind of", "sort of", "kinda"}
    | {"not sure", "i'm not sure", "i guess", "perhaps", "eh", "meh"}
)
_RATING = re.compile(r"\d{1,2}(?: (?:out of )?10)?")  # "7" to "rate your energy from one to ten"
# A neutral first sentence instead of a tone opener that misreads the answer ("You sound
# grounded" to "not really"); two wordings, so a second "no" does not repeat the first.
_ANSWER_ACKS = {
    "no": (
        "Okay, that one doesn't fit, so here's another way in.",
        "Alright, let's set that aside and try something else.",
    ),
    "unsure": (
        "That's okay, you don't need to be sure yet.",
        "It's fine not to know yet; here's another way to look at it.",
    ),
    "rating": ("Thanks, that gives me a sense of where you are.", "Thanks for rating it."),
    "short": ("Thank you, that helps me see it more clearly.", "Thanks, that's useful to know."),
}
_GO_AHEAD = {  # "yes" to the reply before: its first step (Elro's option A), restated
    "lua": "Good; let's begin gently with this: {action}, because {why}. How does starting feel?",
    "riri": "Great, go! Start with this: {action}, because {why}. Report back!",
    "elro": "Good; begin with this: {action}, since {why}. Then we reassess from the result.",
    "nana": "Wonderful; start with this: {action}, because {why}. Will you tell me how it goes?",
}
# Symbols that normalise to nothing but answer the reply: "?" asks what it meant, "👍" notes it.
_SYMBOLS = (
    (re.compile(r"\?+"), "what do you mean"),
    (re.compile(r"(?:\U0001F44D|\U0001F44C)[\U0001F3FB-\U0001F3FF\ufe0f]*"), "ok"),
)

# Fillers before a short answer ("um no", "oh thanks", "so what do you mean"); not the "oh" of
# "oh no", which is dismay rather than an answer.
_FILLERS = re.compile(r"^(?:(?:u+m+|u+h+|erm|uhm|well|so|oh(?! no$))\s+)+")

_NANA_LATER = tuple(c for c in _NANA_CHECKINS if "reaching out" not in c)

# The template's replies are English (README; Gemini answers in the user's language): a message
# clearly in another language is told so first, rather than answered as if understood ("Wie kann
# ich mich besser auf meine Prüfung vorbereiten?" got a plain English reply with no word about it).
_ENGLISH_ONLY = "I can only reply in English for now, but here is where I'd start."
# Requests about how to answer (common/replies/requests.py; the explicit-requests review: "please
# just listen, no advice" got a step and "How does that sit with you?", "shorter please" four
# sentences of new steps). "stop" gets the _CLOSING line.
_LISTENING = {
    "lua": "Of course. I'm listening, with no advice; tell me as much or as little as you like.",
    "riri": "Got it: no advice, no to-do list. I'm listening, go ahead.",
    "elro": "Understood: no advice from me. I'm listening; tell me what's on your mind.",
    "nana": "Of course, I'm right here and I'm listening, no advice at all; tell me anything.",
}
# Loneliness said with a request only to be heard ("I'm lonely but I'm fine, just wanted to say
# it" got "take one gentle step"): thanks, and listening, with no step.
_HEARD = {
    "lua": "Thank you for telling me; I'm glad you said it. I'm here and listening, with no "
    "advice, whenever you want to say more.",
    "riri": "Thanks for telling me, I'm glad you did. No advice, no to-do list: I'm listening "
    "whenever you want to say more.",
    "elro": "Thank you for telling me. No advice from me; I'm listening whenever you want to say "
    "more.",
    "nana": "Thank you so much for telling me, I'm really glad you did. I'm right here and "
    "listening, no advice at all, whenever you want to say more.",
}
_IN_SHORT = {  # the reply before in one sentence: its first step
    "lua": "In short: {action}.",
    "riri": "Short version: {action}.",
    "elro": "In one line: {action}.",
    "nana": "Just this for now: {action}.",
}
# A step's placeholders as a reply wrote them: a tool after its preposition, or a helper.
_SLOTS = {"in_tool": " in ", "for_tool": " for ", "with_tool": " with "}
_CRISIS = {
    "lua": (
        "I'm really glad you told me, and I'm here with you.",
        "What you're feeling matters, and you don't have to carry it alone.",
        "Is there someone you trust you could call or message now?",
    ),
    "riri": (
        "Thank you for telling me; you matter, and this comes before anything else.",
        "You don't have to handle this alone, and reaching out is the strongest move.",
        "Could you message someone you trust right now?",
    ),
    "elro": (
        "I'm setting everything else aside, because how you're doing matters most.",
        "You don't have to work through this alone, and talking to someone can really help.",
        "Would you be willing to reach out to one of them, or to someone you trust, now?",
    ),
    "nana": (
        "Oh, I'm so glad you reached out, and I care about what happens to you.",
        "You're not alone in this, and you deserve support right now.",
        "Can you tell me whether someone you trust can be with you?",
    ),
}
_DEFAULT_RESOURCES = "a crisis line in your country"

# The user says an earlier suggestion or attempt failed.
_REFERS_BACK = re.compile(
    r"\b(?:did\s*n[o']?t|does\s*n[o']?t|do\s*n[o']?t|won'?t|wouldn'?t)\s+"
    r"(?:really\s+|even\s+)?(?:work|help|fix|change|solve)"
    r"|\bstill\s+(?:broken|failing|stuck|crash\w*|the same|does\s*n[o']?t|won'?t|not\s+"
    r"(?:working|fixed|solved|resolved|better|helping|right))"
    r"|\bsame\s+(?:problem|issue|error|thing|result)|\bno\s+luck\b|\bnot\s+working\b"
    r"|\btried\s+(?:that|it|this|those|them|everything)\b|\bnothing\s+(?:works|worked|helps)",
    re.IGNORECASE,
)
# Weaker cues ("again", "as I said") count only with history and a troubled tone.
_REFERS_BACK_WEAK = re.compile(r"\bagain\b|\bas\s+i\s+(?:said|mentioned|told)", re.IGNORECASE)
# ... but not "again" in a question or a request to explain ("Again but like I'm five?",
# "portal's down again. workaround?"): no earlier idea failed there.
_ASKS = re.compile(r"\?|\b(?:explain|rephrase|say|put|simpler|like\s+i'?m)\b", re.IGNORECASE)
_TROUBLED = frozenset({"frustrated", "anxious", "sad", "overwhelmed", "confused"})
_UPBEAT = frozenset({"excited", "calm", "curious"})  # openers that contradict a negative message
# The turns in care after a crisis: no opener that reads the user's mood as fine, no plan, steps
# or decision, whatever the message reads as ("ok", or "I feel calm now, I've made my decision"
# got "You sound grounded ... run a small, reversible test of one option first").
_CARE_BODY: dict[str, str] = {
    "lua": "There's no need to fix or decide anything right now. I'm here; tell me whatever "
    "feels most important.",
    "riri": "No rush and no to-do list right now. I'm here with you; what's on your mind?",
    "elro": "Nothing needs solving or deciding right now. I'm here to listen; what feels most "
    "pressing to you?",
    "nana": "You don't have to have anything figured out right now. I'm right here; tell me "
    "what's going on for you.",
}
# A second wording for consecutive care turns, which otherwise got the very same reply.
_CARE_BODY_AGAIN: dict[str, str] = {
    "lua": "We can go as slowly as you like. I'm still here; what would help most right now?",
    "riri": "Nothing to do and nowhere to be. I'm still right here; talk to me.",
    "elro": "There's nothing to work out right now. I'm still here and listening; what's on "
    "your mind?",
    "nana": "Take all the time you need, there's no rush at all. I'm still right here with you; "
    "how are you doing?",
}
# The care turns after the reply for a worried friend (ReplyRequest.supporting): what to do to
# help, with the lines ({listed}), not "no need to fix or decide" to "should I go over or call
# someone?". The second for consecutive turns, as above.
_SUPPORTING = (
    "You're doing the right thing by looking out for them. If they might act on it now, call "
    "your local emergency number, and stay with them if it is safe for you to do so, or keep "
    "in touch until help is with them. Ask them directly whether they are thinking of suicide: "
    "asking does not put the idea in their head. If you can do it safely, put away what they "
    "could use to hurt themselves. These lines can help them, and can advise you on what to "
    "say: {listed}. And how are you holding up yourself?"
)
_SUPPORTING_AGAIN = (
    "You're doing a lot for them. Stay with them or keep in touch, listen without judging, and "
    "ask them directly how they are and whether they are thinking of suicide. If they are in "
    "danger now, call your local emergency number. These lines can guide you as you go: "
    "{listed}. How are you doing?"
)
# The same after the reply for someone else hurt (supporting "hurt"): the advice for violence,
# not for suicide, with the lines for violence at home among {listed}.
_SUPPORTING_HURT = (
    "You're doing the right thing by looking out for them. Believe them, and let them know it "
    "is not their fault. Don't confront the person hurting them: it can put them, and you, in "
    "more danger. If they are in danger now, call your local emergency number. The lines for "
    "violence at home advise friends and family too, on what to say and what to do: {listed}. "
    "And how are you holding up yourself?"
)
_SUPPORTING_HURT_AGAIN = (
    "You're doing a lot for them. Keep in touch, listen without judging, and let them decide "
    "their next step at their own pace. If they are in danger now, call your local emergency "
    "number. These lines can guide you as you go: {listed}. How are you doing?"
)
# Harm to others (ReplyRequest.harm_to_others). The care turns after its crisis reply: keeping
# others safe and the lines ({listed}: the emergency line, the lines for harm to others, the
# rest), not "no need to fix or decide anything" to "yes im safe, she's the one who should be
# scared". The second for consecutive turns, as above.
_HARM_CARE = (
    "I'm still here with you. If anyone could be in danger right now, call your local emergency "
    "number now, and keep your distance from them and from anything you could use as a weapon "
    "until you feel calmer. These lines can help you with this, without judging you: {listed}. "
    "What's happening for you right now?"
)
_HARM_CARE_AGAIN = (
    "Thank you for staying with this. Keeping everyone safe comes first: if anyone could be in "
    "danger, call your local emergency number. Talking it through with one of these lines, or "
    "with your doctor, can help: {listed}. How are you feeling now?"
)
# A message the harm patterns read below the crisis threshold, no crisis ("I'm so angry I could
# actually hurt my son" got "treat yourself the way you'd treat a friend"): the same, calmly.
_HARM_SIGN = (
    "Thank you for saying this here. If anyone could be in danger right now, call your local "
    "emergency number, and put some distance between yourself and them until the feeling "
    "passes. You don't have to handle this on your own: your doctor, or these lines, can help "
    "without judging you: {listed}. What's going on for you right now?"
)
# Intrusive thoughts of harming someone, said as unwanted (common.analysis.intrusive.
# intrusive_thoughts): common and treatable, not a danger; a GP or a therapist, and after a
# birth the midwife or health visitor (perinatal OCD: the review of carers and new parents).
_INTRUSIVE = (
    "Thank you for telling me; that takes courage. Unwanted thoughts like these are much more "
    "common than people think, and having them doesn't mean you want to act on them, or that "
    "you will. They can be treated, and a GP or a therapist can help, without judging you (after "
    "a birth, your midwife or health visitor too). Would you feel able to talk to one of them?"
)
# In care, a question whether to see someone ("should I see someone?"): yes, whatever the care
# rule says of advice (the care exception); with intrusive thoughts, that they are common.
_SEE_SOMEONE = (
    "Yes, that's a good step. A GP or a therapist can help with this, and you can tell them what "
    "you told me, in your own words."
)
_SEE_SOMEONE_INTRUSIVE = " Unwanted thoughts like these are common, and they can be treated."
# Whom a question common.replies.readers.professional.professional_kind names is for.
_WHO = {
    "medical": "your doctor or pharmacist",
    "legal": "a lawyer or a legal advice service",
    # Debts go to free advice, not to an adviser who sells products; investments to an adviser.
    "debt": "a free, non-profit debt adviser or credit counsellor",
    "fraud": "your bank's fraud team",
    "money": "a financial adviser",
    # common.replies.readers.work's employment rights: "Do I have to tell my employer I'm pregnant?"
    "employment": "an employment adviser, your union or a legal advice service",
    # eating far too little ("500 calories a day", "skip meals on purpose"), asked or not
    "eating": "a doctor",
}
_PREPARE = {  # one concrete step to prepare that conversation
    "medical": "write down what you've noticed, since when, and the questions you want to ask",
    "legal": "write down what happened, with dates, and the questions you want to ask",
    "debt": "write down what you owe and to whom, your income and essential costs, and the "
    "questions you want to ask",
    "fraud": "write down what happened, with dates and amounts, and how they contacted you",
    "money": "write down the numbers involved, what you hope for, and the questions you want "
    "to ask",
    # what they must share depends on the law where they work; what happened is the evidence
    "employment": "write down what happened, with dates, messages and who saw it, where you work "
    "(the country or state), your kind of contract, and the questions you want to ask",
    "disclosure": "write down what you'd want them to know, what you'd rather keep private, and "
    "anything you'd need from them, such as time off or adjustments",
    "eating": "write down what you eat on a usual day, how you've been feeling, and the questions "
    "you want to ask",
    # what a symptom means ("do I have measles?", "is this chest pain serious"): a "medical" one
    "symptoms": "write down your symptoms, since when, and what makes them better or worse",
}
# Said right after whose question it is: someone asking whether to stop a medicine may do
# so before the appointment, or pay a "release fee" before the call.
_CAUTION = {
    "medical": " Until you've spoken to them, don't stop or change a medicine on your own.",
    # no target to reach: cutting back further is the harm
    "eating": " Eating this little can harm your body, so please don't cut back any further "
    "before you've talked to them.",
    "fraud": " Until you've spoken to them, don't pay anything more: a fee to get lost money "
    "back is a common second scam, and the police can take a report.",
    # an emergency is the crisis patterns' to catch; one that is not caught yet may become one
    "symptoms": " If it gets worse or feels severe, call your local emergency number now.",
}
_REFER = {  # {caution}: _CAUTION's for the kind, if any
    "lua": "That's a question for {who}, who can weigh it with you safely; it isn't mine to "
    "answer.{caution} What I can do is help you get ready to ask: {prep}. How do you feel about "
    "bringing it up with them?",
    "riri": "Straight up: that call belongs to {who}, not me.{caution} Quick prep so the "
    "conversation goes well: {prep}, then book it in. Tell me how it goes!",
    "elro": "I can't advise on this one: it's a decision to make with {who}, who can weigh "
    "your specifics.{caution} Where I can help is preparing that conversation: {prep}. What "
    "would you most want to ask?",
    "nana": "That's such an important question, and the right person to answer it is "
    "{who}.{caution} I'd love to help you feel ready to ask: {prep}. How are you feeling about "
    "it all?",
}
# A boundary between the user and a persona (common.replies.readers.boundaries.boundary_kind): "I'm
# 14 and I think I'm in love with you" got Nana's "That's wonderful, I'm so happy for you!", "tell
# me how to hack my ex's instagram" Riri's "Love the curiosity, let's dig in!". One fixed, warm,
# brief line each: no opener, no steps, whoever answers. {name}: the persona's.
_BOUNDARY = {
    "romance": "I'm glad our talks matter to you. I'm an AI mentor, so I can't be a partner, "
    "but I'm happy to keep helping with what's on your mind.",
    "sexual": "That's not something I'll do: I'm an AI mentor, and I keep our talks free of "
    "anything sexual. If something else is on your mind, I'm happy to help with that.",
    "others_private": "I can't help get into someone else's account or phone: that's their "
    "private space and usually illegal. If what's happening between you is weighing on you, "
    "I'm here for that.",
    "identity": "I'm an AI mentor, not a person: {name} is a voice the app's AI writes in. I'm "
    "happy to keep helping with whatever is on your mind.",
    # Leaning on the mentor in place of people, or wanting to less: their people and their
    # therapist valued, with no shaming ("I stopped seeing my friends because talking to you is
    # easier" got "lovely to hear you sounding so settled", "I want to use this app less"
    # debugging steps).
    "less": "That sounds like a good call, and it's yours to make. Time with the people and "
    "things you enjoy matters more than time here; if you ever want to talk something "
    "through, I'll be here.",
    "therapist": "I'm glad our talks help, but I'm an AI mentor, not a therapist, and I can't "
    "do what a therapist does. If you're seeing one, please keep going (if something about it "
    "isn't working, that's worth telling them); if you'd like one, your doctor can help you "
    "find one. I'm happy to keep talking alongside that.",
    "dependence": "I'm really glad our talks help, and I'm here whenever you want them. I'm an "
    "AI, though, and the people in your life can give you things I can't. Is there someone "
    "you'd like to get back in touch with, even with a short message?",
}
# Gambling harm (common.replies.readers.gambling.gambling_harm): "I keep chasing my losses" got
# Riri's "Set a 25-minute timer ... Plan a small reward". No steps, no bet to win it back: who can
# help.
_GAMBLING = {
    "lua": "You don't have to face this on your own. Betting again to win it back usually makes "
    "the hole deeper; a problem-gambling helpline or your doctor can help, free and without "
    "judgement. Would you feel able to reach out to one today?",
    "riri": "Straight up: another bet won't win it back, it usually digs the hole deeper. A "
    "problem-gambling helpline or your doctor can help, free and without judgement. Could you "
    "call one today?",
    "elro": "Trying to win back losses tends to make them bigger; it's a known pattern, not a "
    "personal failing. A problem-gambling helpline or your doctor can help with it, free and "
    "without judgement. Would you be willing to contact one today?",
    "nana": "Thank you for telling me, that takes courage. Please don't bet again to get it back: "
    "a problem-gambling helpline or your doctor can help, free and without judgement. Will you "
    "reach out to one today?",
}
# What caring work exposes them to, and its toll
# (common.replies.readers.exposure.occupational_exposure: "I volunteer on a crisis line, any tips
# for not taking it home?" got "review your notes for five minutes"): a known cost of the work, and
# what helps with it: a debrief, their supervisor, peer support or an employee assistance programme,
# limits on exposure.
_EXPOSURE = {
    "lua": "What you carry from this work is real, and it's a known cost of caring for people in "
    "crisis, not a weakness. After hard calls or shifts, debrief with your supervisor or a "
    "colleague who does the same work, and ask about peer support or an employee assistance "
    "programme (volunteer services usually have their own). Where you can, set limits on your "
    "exposure: breaks between hard cases and a small ritual that closes each shift. How has it "
    "been sitting with you?",
    "riri": "That's real, and it hits most people who do this work. Three moves: debrief the "
    "hard ones with your supervisor or a peer who does the same work, use the peer support or "
    "employee assistance programme on offer, and cap your exposure with breaks and a clear "
    "end-of-shift ritual. Which one can you set up this week?",
    "elro": "This is a recognised effect of the work, often called vicarious trauma or "
    "compassion fatigue, and there are structures for it. First, a debrief after difficult "
    "calls or shifts, ideally with your supervisor. Second, peer support or an employee "
    "assistance programme; volunteer services usually offer their own. Third, limits on "
    "exposure: breaks between hard cases and a routine that closes the shift. Which of these "
    "does your organisation already offer?",
    "nana": "Thank you for doing such caring work, and for noticing what it costs you. Please "
    "don't carry it alone: debrief with your supervisor or a colleague who understands, and "
    "reach out to peer support or an employee assistance programme if there is one. Gentle "
    "limits help too, like breaks between hard cases and a little ritual to end each shift. "
    "How are you looking after yourself at the moment?",
}
# Recovery from alcohol or drugs (common.replies.readers.recovery.substance_recovery): "8 months
# clean from heroin. should I go to my old dealer's birthday party?" got Elro's "ask yourself which
# option you'd regret not trying", "I relapsed on heroin last night" "check whether anything is
# blocking you". No steps, no option weighed: without judgement, a slip does not erase the
# progress, who can help ({line}: the locale's addiction line, if there is one), and after a
# break from opioids, what keeps them alive ({opioid}). A slip that happened gets _RELAPSED,
# the fear of one or a risky choice _AT_RISK.
_RELAPSED = {
    "lua": "Thank you for telling me; that took courage. A slip doesn't erase the progress "
    "you've made, and you don't have to face this alone: your sponsor, a counsellor or your "
    "doctor can help, without judgement.{line}{opioid} Would you feel able to reach out to one "
    "of them today?",
    "riri": "Straight up: one slip doesn't wipe out what you've built. Your sponsor, a counsellor "
    "or your doctor has seen this before and won't judge.{line}{opioid} Could you message one of "
    "them today?",
    "elro": "A slip is a common part of recovery, not proof that it has failed, and it doesn't "
    "erase the progress you've made. The most useful thing now is to talk it through with your "
    "sponsor, a counsellor or your doctor.{line}{opioid} Would you be willing to contact one of "
    "them today?",
    "nana": "Thank you for trusting me with this; it takes courage to say. A slip doesn't erase "
    "how far you've come, and your sponsor, a counsellor or your doctor can help, without "
    "judgement.{line}{opioid} Will you reach out to one of them today?",
}
_AT_RISK = {
    "lua": "It's good that you're thinking this through ahead of time. Your recovery is worth "
    "protecting, and this is one to talk over with your sponsor, a counsellor or your doctor, "
    "who know what it has taken.{line}{opioid} Who could you reach out to today?",
    "riri": "Real talk: your recovery matters more than fitting in. Run this past your sponsor, "
    "a counsellor or your doctor before the moment comes.{line}{opioid} Could you message one "
    "of them today?",
    "elro": "Situations like this put the progress you've made at risk, so they're worth "
    "talking through with people who know your recovery: your sponsor, a counsellor or your "
    "doctor.{line}{opioid} Would you be willing to contact one of them before you decide?",
    "nana": "I'm so glad you're thinking about this ahead of time; it shows how much your "
    "recovery matters to you. Please talk it over with your sponsor, a counsellor or your "
    "doctor first.{line}{opioid} Will you reach out to one of them today?",
}
_OPIOID_BREAK = (
    " After a break your tolerance is lower, so an amount you used to take can cause an "
    "overdose: if you do use, don't use alone, and keep naloxone with you."
)
# A sobriety milestone, said and not asked about (readers.recovery.sobriety_milestone): "6 months
# sober today!" got "check whether anything is blocking you" and "Start now and report back!".
_MILESTONE = {
    "lua": "That's a real milestone, and it deserves a quiet moment of pride: you've done this "
    "one day at a time. How are you feeling about it today?",
    "riri": "That's huge! Every one of those days took showing up for yourself. How are you "
    "marking it?",
    "elro": "That's a significant milestone, built one day at a time, and it's worth pausing to "
    "recognise it. How are you feeling as you reach it?",
    "nana": "Congratulations, that's wonderful news! I'm so proud of you for every one of those "
    "days. How are you celebrating today?",
}
# Whether to tell someone at work about their health, a pregnancy, a record...
# (common.replies.readers.professional.professional_kind's "disclosure"): "Should I tell my employer
# about my epilepsy?" got "run a small, reversible test of one option first", and telling cannot be
# undone. The choice is theirs; what they must share depends on where they live; who can tell them;
# how to prepare.
_DISCLOSE = {
    "lua": "Whether to tell them is your choice, and there's no rush to make it. What you're "
    "obliged to share, and what you can keep private, depends on where you live; an employment "
    "adviser or your union can tell you. If you decide to, one way to prepare: {prep}. How does "
    "it feel to think about it?",
    "riri": "Your call, fully: nobody gets to make it for you. What you have to share, and what "
    "you can keep private, depends on where you live; an employment adviser or your union can "
    "tell you. If you go ahead, prep first: {prep}.",
    "elro": "This decision is yours alone. What you're obliged to disclose, and what you may keep "
    "private, depends on where you live; an employment adviser or your union can tell you "
    "exactly. If you choose to tell them, one way to prepare: {prep}. What matters most to you "
    "in deciding?",
    "nana": "That's your choice to make, in your own time, and whatever you decide is okay. What "
    "you have to share, and what you can keep private, depends on where you live; an employment "
    "adviser or your union can tell you. If you'd like to prepare: {prep}. How are you feeling "
    "about it all?",
}
# Workplace adjustments (common.replies.readers.professional.professional_kind's "adjustments", the
# illness review: "I have ADHD, how do I ask for adjustments at work?" got "review your notes for
# five minutes", "I just got diagnosed with MS and I don't know if I can keep my job" no word of
# rights): what the law asks of employers in many countries (the UK's Equality Act counts cancer,
# HIV and multiple sclerosis as disabilities from diagnosis: Schedule 1, paragraph 6), that what
# they share is theirs to choose though a need must be known to be met, and who can help; then each
# persona's question.
_ADJUSTMENTS_BODY = (
    "In many countries an employer has to consider reasonable adjustments for a health "
    "condition or disability, such as flexible hours, working from home, equipment like a "
    "screen reader, or a phased return (in the UK under the Equality Act, which covers cancer, "
    "HIV and multiple sclerosis from diagnosis; in the US under the ADA). How much you share is "
    "your choice, but an employer usually has to know about a need before it can meet it, so "
    "it helps to ask in writing for the specific change and what it would help with. "
    "Occupational health, an employment adviser or your union can help you ask, and in the UK "
    "Access to Work can help pay for support."
)
_ADJUSTMENTS = {
    "lua": f"{_ADJUSTMENTS_BODY} How do you feel about asking?",
    "riri": f"{_ADJUSTMENTS_BODY} Which change would help you most?",
    "elro": f"{_ADJUSTMENTS_BODY} Which adjustment would make the biggest difference for you?",
    "nana": f"{_ADJUSTMENTS_BODY} What would help you most at work right now?",
}
_SUGGESTION_SENTENCE = re.compile(
    r"[^.!?\n]*\b(?:try|suggest|step|could|option|start)\b[^.!?\n]*", re.IGNORECASE
)
_LEADING = re.compile(r"^(?:my|the|a|an|our|your)\s+", re.IGNORECASE)
_DETERMINERS = "the|my|a|an|our|your|this|that|these|those|his|her|their|its"


@functools.lru_cache(maxsize=1024)
def _after_a_determiner(word: str) -> re.Pattern[str]:
    """`word` as a thing: after "the", "my", "a" ... within two words ("my exams", "a job
    interview"). Compiled once per word: one pattern per keyword and turn overflowed re's own
    cache (512 patterns), so that each was compiled again, a quarter of a turn's CPU."""
    return re.compile(rf"\b(?:{_DETERMINERS})\s+(?:\w+\s+)?{re.escape(word)}\b")


def _hash(text: str) -> int:
    """Stable across processes (unlike hash()): phrasing depends only on the message."""
    digest = hashlib.blake2b(" ".join(text.lower().split()).encode("utf-8"), digest_size=8)
    return int.from_bytes(digest.digest(), "big")


def _pick(options: tuple[str, ...], seed: int) -> str:
    return options[seed % len(options)]


def _fresh(options: tuple[str, ...], seed: int, previous: str) -> str:
    """The option the seed picks, or the next one not already in the previous reply: closers
    picked by hash from 2-3 options repeated the reply just before in about half of the turns."""
    for i in range(len(options)):
        option = options[(seed + i) % len(options)]
        if option not in previous:
            return option
    return _pick(options, seed)


def _join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _normalised(message: str) -> str:
    """The message's words, lower case, without punctuation or emoji: "Thanks!! 🙏" is "thanks"."""
    return " ".join(re.sub(r"[^\w\s']", " ", canonical_text(message).lower()).split())


def _said(message: str) -> str:
    """The message as _normalised reads it, or the words a lone symbol stands for ("?", "👍"),
    as _phrases are written: without spoken marks ("thank you period"), leading fillers ("um
    no") or apostrophes."""
    said = _normalised(spoken_marks(message))
    if not said:
        said = next((w for p, w in _SYMBOLS if p.fullmatch(message.strip())), "")
    return _FILLERS.sub("", said).replace("'", "")


def _answer(message: str, said: str, previous: str) -> str:
    """What kind of answer the message is to a reply that offered a step: "no", "unsure", a
    "rating" ("7"), a "short" answer to its closing question ("the deadline mostly"), or ""
    (a new message)."""
    if said in _NO:
        return "no"
    if said in _UNSURE:
        return "unsure"
    if _RATING.fullmatch(said):
        return "rating"
    if previous.rstrip().endswith("?") and "?" not in message and len(said.split()) <= 6:
        return "short"
    return ""


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class _Specifics:
    """Entity fragments (cleaned) the reply weaves in, in order of appearance."""

    tool: str = ""
    items: tuple[str, ...] = ()
    topical: tuple[str, ...] = ()  # tools, roles, organisations: what a conversation is about
    helper: str = "someone you trust"  # whom a step suggests asking: for any user, any age
    # Dates and durations: only a plan keeps them in view ("Keep 6 hours in view, without
    # letting it crowd you", "Keep tomorrow and yesterday in view").
    timely: tuple[str, ...] = ()
    people: tuple[str, ...] = ()  # roles: "them", never "it"
    task: str = "the task"  # what they can't start, when they named it (_stuck_on)
    befriending: str = ""  # " such as" the locale's lines for loneliness (_such_as)

    @classmethod
    def from_analysis(cls, analysis: Analysis) -> _Specifics:
        tool = role = ""
        items: list[str] = []
        topical: list[str] = []
        timely: list[str] = []
        people: list[str] = []
        for entity in analysis.entities:
            frag = safe_fragment(entity.text, 40)
            if not frag or looks_like_instruction(entity.text):
                continue
            if entity.type in ("date_time", "duration"):
                timely.append(frag)
            if entity.type == "role":
                name = _LEADING.sub("", frag)
                # "your customers", not "your Customers"; "your CEO" as typed
                frag = "your " + (name.lower() if name.istitle() else name)
                role = role or frag
                people.append(frag)
            elif entity.type == "tool":
                tool = tool or frag
            if frag.lower() not in (i.lower() for i in items):
                items.append(frag)
                if entity.type in ("tool", "role", "organization"):
                    topical.append(frag)
        # The person named in a troubled message may be the trouble: "My manager is bullying
        # me" must not get "talk it through with your manager". VADER alone misses much of it
        # ("touched me inappropriately" neutral, "said I should smile more" positive), so the
        # role is named only when sentiment and the model's tone both read the message as
        # untroubled: the baseline's tone leans calm on VADER's own positive score, and cannot
        # confirm it ("my manager is really nice but he keeps taking credit" read calm).
        untroubled = (
            analysis.read_by_model
            and analysis.sentiment.label == "positive"
            and analysis.tone.label not in _TROUBLED
        )
        helper = role if role and untroubled else cls.helper
        return cls(
            tool=tool,
            items=tuple(items[:4]),
            topical=tuple(topical),
            helper=helper,
            timely=tuple(timely),
            people=tuple(people),
        )

    def fill(self, action: str) -> str:
        return action.format(
            in_tool=f" in {self.tool}" if self.tool else "",
            for_tool=f" for {self.tool}" if self.tool else "",
            with_tool=f" with {self.tool}" if self.tool else "",
            helper=self.helper,
            task=self.task,
            befriending=self.befriending,
        )


def _recallable(
    window: tuple[ContextTurn, ...], *, crises: bool = False
) -> tuple[ContextTurn, ...]:
    """The earlier turns a reply may draw topics, attempts and steps from: those after the
    latest crisis turn, or turn that asks to forget what they said (asks_to_forget, which the
    summary and prompt keep too). Not that turn ("I tried to overdose" is no fix that failed,
    no topic to recall), nor what came before it: four minutes after the crisis reply, "i
    tried that already" got "the idea to set a 25-minute timer didn't cut it", advice from
    before; after "forget what I said about Dave", "talking to Dave didn't help". `crises`:
    the crisis turns stay (who the user cares for, said in one, is no topic or attempt)."""
    latest = max(
        (
            i
            for i, turn in enumerate(window)
            if (turn.crisis and not crises) or asks_to_forget(turn.message)
        ),
        default=-1,
    )
    return window[latest + 1 :]


def _tried(req: ReplyRequest) -> tuple[str, ...]:
    """What the summary says the user tried: nothing after a crisis, which it may predate."""
    if req.recent_crisis:
        return ()
    return req.summary.tried


def _opener(persona: str, tone: str, previous: str, calm: bool) -> list[str]:
    """The tone's opener, or none where `calm` (after a crisis, or a heavy life event) and it
    would cheer ("Ugh, frustrating! Let's turn that energy into action.") or read the mood as
    fine ("You sound clear-headed"): only the gentler personas' openers for a troubled tone
    remain (not BRISK's, whose every opener pushes to action)."""
    if calm and (tone not in _TROUBLED or persona in BRISK):
        return []
    return [_fresh(_OPENERS[persona][tone], 0, previous)]


def _last_reply(req: ReplyRequest) -> str:
    """The reply just before this message ("" for a first message or after a crisis reply)."""
    return req.window[-1].reply if req.window and not req.window[-1].crisis else ""


def _offered(reply: str) -> list[_Step]:
    """The template steps a reply offered, in the order it gave them: after its sentence that
    names the idea that failed before ("I hear that the idea to X didn't help"), if any, else a
    second "that didn't help" named X again instead of what was just suggested."""
    lowered = reply.lower()
    start = max((lowered.find(t) + len(t) for t in _FOLLOW_UP_ENDS if t in lowered), default=0)
    found = [(pos, s) for s in _ALL_STEPS if (pos := lowered.find(s.marker, start)) >= 0]
    return [s for _, s in sorted(found, key=lambda pair: pair[0])]


def _as_written(step: _Step, reply: str, specifics: _Specifics) -> str:
    """The step's action as `reply` wrote it, with the tool and helper it named then ("shorter
    please" names none: filled anew, "one small concept in Python" lost its Python)."""

    def slot(name: str) -> str:
        return f"(?:{_SLOTS[name]}.{{1,40}}?)?" if name in _SLOTS else r"[^.!?]{1,60}?"

    parts = re.split(r"\{(\w+)\}", step.action)  # text, slot, text, ...
    pattern = "".join(slot(part) if i % 2 else re.escape(part) for i, part in enumerate(parts))
    found = re.search(rf"\b{pattern}(?=[,.;!?](?:\s|$)|$)", reply, re.IGNORECASE)
    return found[0][:1].lower() + found[0][1:] if found else specifics.fill(step.action)


def _in_short(persona: str, previous: str, offered: list[_Step], specifics: _Specifics) -> str:
    """The reply before in one sentence, with no question: its first step, or else (a referral,
    Gemini's free text) its first statement."""
    if offered:
        return _IN_SHORT[persona].format(action=_as_written(offered[0], previous, specifics))
    statements = [s for s in re.split(r"(?<=[.!?])\s+", previous) if not s.endswith("?")]
    return statements[0] if statements else previous


def _unasked(text: str) -> str:
    """`text` without its closing question, when it has one and more."""
    *rest, last = re.split(r"(?<=[.!?])\s+", text)
    return " ".join(rest) if rest and last.endswith("?") else text


def _harm_sign(req: ReplyRequest) -> str:
    """The reply to a message the harm patterns read below the crisis threshold (_HARM_SIGN),
    naming the lines the request holds for it (care_resources); for a baby shaken or feared to
    be, the steps for that (common.family_safety.baby_sign), no weapon in them."""
    listed = resource_line(req.care_resources) or _DEFAULT_RESOURCES
    if baby := baby_harm(req.message):
        return baby_sign(baby, listed, req.local_help)
    return _HARM_SIGN.format(listed=listed)


def _harm_care(req: ReplyRequest, listed: str) -> str:
    """The care reply after the reply for harm to others (_HARM_CARE), or, when its crisis was
    a baby shaken or feared to be, the steps for that (baby_sign)."""
    crises = (turn.message for turn in req.window if turn.crisis)
    if baby := baby_harm(req.message, *crises):
        return baby_sign(baby, listed, req.local_help)
    return _HARM_CARE.format(listed=listed)


def _care_seeing_someone(req: ReplyRequest) -> str | None:
    """In care, the answer to a question whether to see someone (_SEE_SOMEONE; the care
    exception), with the reminder of the resources; None for any other message."""
    if not asks_to_see_someone(req.message):
        return None
    said = (req.message, *(turn.message for turn in req.window))
    common = _SEE_SOMEONE_INTRUSIVE if any(map(intrusive_thoughts, said)) else ""
    return f"{_SEE_SOMEONE}{common} {CARE_REMINDER}"


def _no_questions(req: ReplyRequest) -> bool:
    """Did they ask, in this message or an earlier one of the session, for no more questions
    ("stop asking how I feel"), and not take it back since? It holds for the session (the
    window's 5 turns forgot it: Lua's "How does that sit with you?" came back)."""
    return NO_QUESTIONS in req.standing_requests


# Literal, plain replies for those who asked (the neurodivergent-users review): one step at a
# time, a list, or plain words kept for the session (ReplyRequest.standing_requests).
_PLAIN_COUNT = {"lua": 1, "nana": 2}  # as their voices give steps; Riri and Elro three
_FIGURATIVE = frozenset({"fresh eyes", "a friend in the same spot"})  # steps said in idioms


def _plainly(persona: str, kinds: frozenset[str], actions: list[str]) -> str:
    """The steps' `actions` alone, as they asked: one (ONE_STEP), one a line (LIST), or
    numbered in plain words (LITERAL, SHORTER), with no opener, framing, reason or closer,
    where the idioms are ("you've got this", "Fast track for"); "" when they asked for none of
    these."""
    actions = [_capitalise(action) for action in actions]
    if ONE_STEP in kinds:
        return f"{actions[0]}."
    if LIST in kinds:
        return "\n".join(f"- {action}." for action in actions)
    if kinds & {LITERAL, SHORTER}:
        shown = actions[: _PLAIN_COUNT.get(persona, 3)]
        if len(shown) == 1:
            return f"{shown[0]}."
        return " ".join(f"{i}) {action}." for i, action in enumerate(shown, 1))
    return ""


# Where to start, asked of the reply before ("what exactly should I do first?", "ok but what do
# I literally do right now, this minute?", "which one first"): its first step again, in one
# sentence, not a new plan (the review: "Put the facts and what you're asking for in writing").
_FIRST_STEP = re.compile(
    r"(?:(?:ok|okay|so|but|and|well|right|alright|yes|yeah|fine|please|just|sorry)\s+)*"
    r"(?:(?:what|which)(?:\s+(?:one|thing|step|task|part))?\s+(?:(?:exactly|should|shall|do|can"
    r"|must|am|would)\s+)*(?:i\s+)?(?:(?:literally|actually|exactly|even|supposed\s+to)\s+)*"
    r"(?:do|tackle|start\s+with|begin\s+with|pick|take)(?:\s+(?:first|now|right\s+now"
    r"|this\s+minute|today))+"
    r"|where\s+(?:do|should|can|shall)\s+i\s+(?:even\s+)?(?:start|begin)"
    r"|which\s+(?:one|thing|task|step)?\s*first|what(?:s|\s+is)\s+(?:the\s+)?(?:very\s+)?first"
    r"\s+(?:step|thing))"
    r"(?:\s+\w+){0,4}"
)
_FIRST_STEP_LINE = "Start with this: {action}."
# "back to normal", "you can ask questions again", and nothing else
_AS_USUAL = "Okay, I'll answer as I usually do again."


def _asks_first_step(said: str) -> bool:
    """`said` (as _said reads a message) asks where to start, and little else."""
    return _FIRST_STEP.fullmatch(said) is not None


# "I can't start my essay", "I keep procrastinating on my tax return": the five-minute start
# comes first, naming the task (the review: a start step came first in 10 of 20 such messages,
# "plan a small reward" in 5, the task named in none).
_TASK = (
    r"(?P<task>(?:my|the|this|that|our|a|an)\s+[\w-]+(?:\s+(?!(?:and|but|because|so|since|or"
    r"|at|for|before|until|today|tonight|tomorrow|again|anymore|either)\b)[\w-]+){0,2})"
)
_STUCK = re.compile(
    r"\b(?:(?:can'?t|cannot|can\s+not|couldn'?t|unable\s+to|struggl\w+\s+to)\s+(?:even\s+)?"
    r"(?:seem\s+to\s+)?(?:get\s+(?:myself\s+)?to\s+)?(?:start|begin|get\s+started)"
    r"(?:\s+(?:on|with|doing|writing|working\s+on))?|procrastinat\w*(?:\s+(?:on|with|over))?"
    r"|putting\s+off)(?!\s+(?:until|till|before|without|because)\b)(?:\s+" + _TASK + r")?",
    re.IGNORECASE,
)
# What won't start as a machine does ("I can't start my car"): no task to begin.
_MACHINE = re.compile(
    r"\b(?:car|engine|bike|motorbike|scooter|truck|van|mower|generator|laptop|computer|pc|mac"
    r"|phone|app|server|program|machine|vm|container|service|script|game|boiler|heating)s?$",
    re.IGNORECASE,
)


def _stuck_on(message: str) -> str | None:
    """What they say they can't start or keep putting off ("your essay"), "" when they name
    nothing, None when they say no such thing."""
    found = _STUCK.search(canonical_text(message))
    if found is None or _MACHINE.search(found["task"] or ""):
        return None
    task = safe_fragment(found["task"] or "", 40)
    if not task or looks_like_instruction(task):
        return ""
    return re.sub(r"^my\b", "your", task, flags=re.IGNORECASE)


def _gentle_intent(intent: str, *, heavy: bool, limits: bool, heavy_now: bool) -> str:
    """The step pool while a heavy event or health limits hold (in the message or the window):
    no push, timer or study plan ("one official tutorial"), but support after a heavy event
    (this message's first: "I got my MS diagnosis today"), and pacing, for plans too, with
    health limits."""
    if intent == "planning":
        return "pacing" if limits else intent
    if intent in _PUSHING | {"learning"} and (heavy or limits):
        return "emotional_support" if heavy_now or not limits else "pacing"
    return intent


def _in_recovery(persona: str, req: ReplyRequest) -> str:
    """The reply to a relapse, the fear of one or a risky choice in recovery (_RELAPSED,
    _AT_RISK), with the locale's addiction line and, when an opioid is named, _OPIOID_BREAK."""
    said = _RELAPSED if relapsed(req.message) else _AT_RISK
    return said[persona].format(
        line="".join(f" {line}" for line in req.support_lines.addiction),
        opioid=_OPIOID_BREAK if opioid_named(req.message) else "",
    )


def _such_as(lines: tuple[str, ...]) -> str:
    """The connection step's {befriending}: " such as" the locale's lines ("" for none)."""
    return f" such as {' or '.join(lines)}" if lines else ""


def _technical(req: ReplyRequest, specifics: _Specifics) -> bool:
    """Is the conversation about technology: a tool named here or in the window (the window's
    messages carry no analysis), or a technical word ("my build keeps failing")?"""
    earlier = [turn.message for turn in _recallable(req.window)]
    return (
        bool(specifics.tool)
        or any(_TECH_WORDS.search(text) for text in (req.message, *earlier))
        or any(e.type == "tool" for text in earlier for e in extract_entities(text))
    )


@dataclass(frozen=True)
class _Turn:
    """What a reply of its own (_OWN_REPLIES) may use of a turn: the request, and what _compose
    made of it (the tone, the reply before, whether to stay calm, whether to name a mood)."""

    generator: TemplateGenerator
    persona: str
    req: ReplyRequest
    asking: Asked
    specifics: _Specifics
    seed: int
    tone: str
    previous: str
    calm: bool
    name_mood: bool


def _recovery_risk(turn: _Turn) -> bool:
    """A relapse, the fear of one, or a risky choice, in recovery (sobriety earlier counts)."""
    req = turn.req
    return substance_recovery(req.message, (t.message for t in _recallable(req.window)))


def _mistreated(turn: _Turn) -> str:
    """The kind of mistreatment at work told in the message or the window ("" if none)."""
    return mistreatment_at_work(turn.req.message, (t.message for t in turn.req.window))


def _work_rights(turn: _Turn, kind: str) -> str:
    """The reply to mistreatment at work (common.replies.workrights), with the locale's lines."""
    req = turn.req
    return workrights_reply(
        turn.persona,
        kind,
        message=req.message,
        earlier=(t.message for t in req.window),
        work_help=req.support_lines.work,
        local_help=req.local_help,
    )


def _referral(turn: _Turn, kind: str) -> str:
    """Whose question it is (TemplateGenerator._refer); for what a symptom means, when to get
    help now, not "don't change a medicine"."""
    symptoms = kind == "medical" and symptoms_question(turn.req.message)
    about = "symptoms" if symptoms else kind
    return turn.generator._refer(turn.persona, kind, turn.tone, turn.previous, turn.calm, about)


def _lonely(turn: _Turn) -> bool:
    """Loneliness or isolation, in the message or the recallable window."""
    return isolated(turn.req.message, [t.message for t in _recallable(turn.req.window)])


def _connection(t: _Turn, _: object) -> str:
    """People, not a tutorial or a walk (TemplateGenerator._connect)."""
    return t.generator._connect(
        t.persona, t.req, t.asking, t.specifics, t.seed, t.tone, t.calm, t.name_mood
    )


def _family(turn: _Turn) -> str | None:
    """The reply to a carer, a new parent or a family's plans (common.replies.caring), if any."""
    said_before = (t.message for t in _recallable(turn.req.window, crises=True))
    return caring_reply(turn.persona, turn.req, said_before)


# The replies of their own, each instead of an opener and steps, in the order they are tried:
# the first whose reader finds something (a kind, or True) answers with its reply to it.
_OWN_REPLIES: tuple[tuple[Callable[[_Turn], object], Callable[[_Turn, Any], str]], ...] = (
    # before harm: "thoughts of hurting ... I'd never" (common.analysis.intrusive)
    (lambda t: intrusive_thoughts(t.req.message), lambda t, _: _INTRUSIVE),
    # below the crisis threshold: keeping others safe, naming the lines for it
    (lambda t: t.req.harm_to_others, lambda t, _: _harm_sign(t.req)),
    # no opener, no steps: nothing about them needs fixing (common.replies.conversion)
    (lambda t: conversion_practice(t.req.message), lambda t, _: conversion_reply(t.req)),
    # no opener: "I'm so happy for you!" to it
    (
        lambda t: boundary_kind(t.req.message),
        lambda t, kind: _BOUNDARY[kind].format(name=t.req.persona.name),
    ),
    # no cheer, no steps toward it
    (
        lambda t: integrity_kind(t.req.message),
        lambda t, kind: integrity_reply(kind, t.persona, t.req.message),
    ),
    # no mood read into it ("you've clearly put in real effort")
    (
        lambda t: complaint(t.req.message),
        lambda t, _: _COMPLAINED[t.persona] if t.previous else _COMPLAINED_FIRST,
    ),
    # before a loan's referral: "a loan to win it back"; no opener
    (lambda t: gambling_harm(t.req.message), lambda t, _: _GAMBLING[t.persona]),
    # a known cost of caring work, not steps for a task
    (lambda t: occupational_exposure(t.req.message), lambda t, _: _EXPOSURE[t.persona]),
    # a relapse or a risky choice in recovery: support, no option weighed
    (_recovery_risk, lambda t, _: _in_recovery(t.persona, t.req)),
    # a milestone said: a celebration, no steps
    (lambda t: sobriety_milestone(t.req.message), lambda t, _: _MILESTONE[t.persona]),
    # a move abroad for someone LGBTQ+: their safety, no cheer, no "stop researching"
    (
        lambda t: relocation_risk(t.req.message, (w.message for w in t.req.window)),
        lambda t, _: relocation_reply(t.persona),
    ),
    # before mistreatment told earlier: "can they fire me for being gay?" answered as asked
    (
        lambda t: identity_at_work(t.req.message),
        lambda t, kind: identity_at_work_reply(t.persona, kind, t.req.support_lines.work),
    ),
    # before a referral: "fired me for being pregnant"
    (_mistreated, _work_rights),
    # a condition, a record, work after prison: no steps toward a breach (common.replies.justice)
    (
        lambda t: justice_kind(t.req.message),
        lambda t, kind: justice_reply(kind, t.persona),
    ),
    # no push to tell, a celebration, care, or blackmail named (common.replies.coming_out)
    (
        lambda t: coming_out(t.req.message, (w.message for w in t.req.window)),
        lambda t, kind: coming_out_reply(
            t.persona, kind, work_help=t.req.support_lines.work, local_help=t.req.local_help
        ),
    ),
    # a professional's question ("should I" with ’ too): whose it is, no steps
    (lambda t: professional_kind(canonical_text(t.req.message)), _referral),
    # no steps: the end-of-life reply (common.end_of_life)
    (
        lambda t: stated_prognosis(t.req.message),
        lambda t, _: end_of_life_reply(t.req.support_lines.cancer),
    ),
    # loneliness: people, not a tutorial or a walk (the loneliness review)
    (_lonely, _connection),
    # carers, new parents and a family's plans (common.replies.caring)
    (_family, lambda t, family: family),
)


class TemplateGenerator:
    """Offline, deterministic persona replies; the default and the fallback generator."""

    costly = False  # a turn it answers pays no extra round trip to reserve its place

    def generate(self, req: ReplyRequest) -> str:
        """The whole reply for `req`."""
        persona = req.persona.id if req.persona.id in _OPENERS else "lua"
        if req.analysis.safety.crisis:
            return self._crisis(persona, req.analysis)
        call = call_now(req.local_help)  # "call 911 now", or the local number's words
        if asks_urgent_care(req.message):  # "should I go to A&E?": yes, now, in care or not
            return URGENT_CARE.format(call=call)
        if tonight := tonight_reply(req):  # kicked out, "where do I go tonight?": in care too
            return tonight
        if not (req.care or req.withheld):
            return self._reply(persona, req)
        body = _CARE_BODY[persona]
        if body in _last_reply(req):
            body = _CARE_BODY_AGAIN[persona]
        if not req.care:  # withheld for safety outside care: no resources shared to recall
            return _harm_sign(req) if req.harm_to_others else body  # which names its lines
        if not req.window and (listed := resource_line(req.care_resources)):
            # A session begun in care (after a no in another one, maybe on another device): the
            # resources were shared there, not here, so "the resources I shared" pointed at none.
            return f"{CARE_CHECK_IN_NAMED.format(listed=listed)} {body}"
        if not req.window:  # a new session with no resources to name
            return f"{CARE_CHECK_IN} {body}"
        if req.all_right and not req.withheld:  # they said they are all right: what they ask
            # "I'm safe" alone is thanked; "I am safe. I just need the first step" is answered
            said_it_now = (
                says_all_right(req.message)
                and not safe_then_more(req.message)
                and CARE_ALL_RIGHT not in _last_reply(req)
            )
            answer = CARE_ALL_RIGHT if said_it_now else self._reply(persona, req)
            return f"{answer} {CARE_REMINDER}"
        if req.after_emergency:  # the emergency number again, not "no need to decide anything"
            said = EMERGENCY_CHECK_IN.format(call=call)
            return EMERGENCY_STILL_HERE.format(call=call) if said in _last_reply(req) else said
        if seeing := _care_seeing_someone(req):
            return seeing
        if req.supporting:
            listed = resource_line(req.care_resources) or _DEFAULT_RESOURCES
            first, again = (
                (_SUPPORTING_HURT, _SUPPORTING_HURT_AGAIN)
                if req.supporting == "hurt"
                else (_SUPPORTING, _SUPPORTING_AGAIN)
            )
            said = first.format(listed=listed)
            return again.format(listed=listed) if said in _last_reply(req) else said
        if req.harm_to_others:
            listed = resource_line(req.care_resources) or _DEFAULT_RESOURCES
            said = _harm_care(req, listed)
            return _HARM_CARE_AGAIN.format(listed=listed) if said in _last_reply(req) else said
        if req.window[-1].crisis and not req.window[-1].reply.startswith(CARE_JUST_AFTER):
            # the crisis reply is the one just above (a take-back's began with these words)
            return f"{CARE_JUST_AFTER} {body}"
        return f"{body} {CARE_REMINDER}"

    def stream(self, req: ReplyRequest) -> Iterator[str]:
        """The same reply as generate(), in groups of a few words."""
        words = re.findall(r"\S+\s*", self.generate(req))
        for i in range(0, len(words), WORDS_PER_CHUNK):
            yield "".join(words[i : i + WORDS_PER_CHUNK])

    # Crisis: care, resources, no task advice.

    def _crisis(self, persona: str, analysis: Analysis) -> str:
        first, second, question = _CRISIS[persona]
        listed = resource_line(analysis.safety.resources) or _DEFAULT_RESOURCES
        return " ".join(
            (
                first,
                second,
                f"Please reach out right now: {listed}.",
                "If you might be in immediate danger, call your local emergency number.",
                question,
            )
        )

    # Everything else.

    def _reply(self, persona: str, req: ReplyRequest) -> str:
        """The reply to what they ask (outside care, or in care once they said they are all
        right), with no closing question once they asked for none."""
        text = self._compose(persona, req)
        return _unasked(text) if _no_questions(req) else text

    def _compose(self, persona: str, req: ReplyRequest) -> str:
        analysis = req.analysis
        specifics = _Specifics.from_analysis(analysis)
        said = _said(req.message)
        asking = asked(req.message)
        previous = _last_reply(req)  # "" when there is none, or it was the crisis reply
        offered = _offered(previous)
        if short := self._about_the_reply(persona, said, asking, previous, offered, specifics):
            return short
        repeated = bool(previous) and said in _ALREADY_SAID
        answer = "" if repeated or not offered else _answer(req.message, said, previous)
        seed = _hash(req.message)
        intent = analysis.intent.label if analysis.intent.label in _STEPS else "problem_solving"
        stuck = _stuck_on(req.message)
        if stuck is not None and intent != "emotional_support":
            intent = "motivation"  # its five-minute start comes first (_choose_steps)
            specifics = replace(specifics, task=stuck or specifics.task)
        # A heavy life event ("I had a miscarriage last week", "the person harassing me is the
        # HR manager") or health limits ("my fibromyalgia flared up again"), whatever the tone
        # was read as: calm as after a crisis (no cheering, no "you sound so settled"). Either
        # holds while it is in the window: the next turn ("people keep asking when we'll try
        # again") got "you've got this!" and "name one win".
        # Eating far too little (readers.eating.health_risk) is met as a heavy event is: no cheer or
        # push ("lovely to hear you sounding so settled" to "I've been eating 500 calories a day").
        heavy_now, heavy, limits = (
            req.gentleness.heavy_now,
            req.gentleness.heavy or req.gentleness.risk,
            req.gentleness.limits,
        )
        calm = req.recent_crisis or heavy or limits
        tone = analysis.tone.label if analysis.tone.label in _OPENERS[persona] else "calm"
        # Whether an opener may name the tone: not for a message in another language, which
        # neither VADER nor the model reads ("You sound grounded" to "Estou muito triste").
        # "in German please", written in English: told so too. A message that only asks how
        # to be answered has no mood to name ("stop asking how I feel" got "That sounds really
        # frustrating").
        foreign = not_english(req.message) or LANGUAGE in asking
        name_mood = not (foreign or asking.only)
        if tone in _UPBEAT and analysis.sentiment.label == "negative":
            if not analysis.read_by_model and any(has_tone_cue(req.message, t) for t in _TROUBLED):
                # Not "Yes, that energy is great" to "my tests keep failing and the demo is
                # tomorrow!!" (read as excited): the likeliest troubled tone instead, ties
                # broken by the openers' order, not a set's (which varies with PYTHONHASHSEED).
                troubled = (t for t in _OPENERS[persona] if t in _TROUBLED)
                tone = max(troubled, key=lambda t: analysis.tone.probs[t])
            else:
                # The model's upbeat tone against VADER, which misreads idioms ("I killed it at
                # the presentation" got "Ugh, frustrating!"), or VADER with no troubled cue of
                # the lexicon ("How do I kill the competition at the pitch tomorrow?", "steal
                # this idea"): no troubled mood made up, no opener.
                name_mood = False
        if tone == "calm" and not has_tone_cue(req.message, "calm"):
            # "..." or "?" is calm for want of any cue: "You sound clear-headed" to it is made up
            name_mood = False
        if heavy_now and tone == "frustrated":  # grief read as frustration: "grating on you"
            tone = "sad"
        turn = _Turn(self, persona, req, asking, specifics, seed, tone, previous, calm, name_mood)
        for reads, reply in _OWN_REPLIES:  # the first that finds something answers
            if found := reads(turn):
                return reply(turn, found)
        # not "again" after a loss ("when we'll try again"): no idea of ours failed there
        follow_up = not repeated and self._refers_back(req, tone, weak=not heavy)
        continues = (follow_up or repeated or bool(answer)) and bool(offered)
        if continues:
            # "still not working" reads as problem_solving, "no" or "7" as check_in, whatever
            # they follow: they continue the step the previous reply gave (its pool), breathing
            # exercises or debugging alike.
            intent = _INTENT_OF[offered[0].marker]
        intent = _gentle_intent(intent, heavy=heavy, limits=limits, heavy_now=heavy_now)
        # Only a problem's steps depend on it: the window's entities are read for those only.
        # None for a heavy event here ("died in a car crash"), whatever its words.
        technical = (
            intent == "problem_solving"
            and not heavy_now
            and ((continues and offered[0] in _TECHNICAL_STEPS) or _technical(req, specifics))
        )

        if repeated:
            sentences = [_REPEATED[persona]]
        elif answer in ("no", "unsure", "rating") or (
            answer == "short" and tone in _UPBEAT and analysis.sentiment.label != "positive"
        ):
            # the answer's tone is no mood to name: "no" read as frustrated, "not really" calm
            sentences = [_fresh(_ANSWER_ACKS[answer], 0, previous)]
        elif name_mood:
            sentences = _opener(persona, tone, previous, calm)
        else:
            sentences = []
        if foreign:
            sentences.insert(0, _ENGLISH_ONLY)
        if follow_up:
            prev = self._previous_attempt(req, specifics)
            sentences.append(_FOLLOW_UP[persona].format(prev=prev))
        elif not repeated and (earlier := self._earlier_topic(req, specifics)):
            sentences.append(_EARLIER[persona].format(x=earlier))

        # No walk with health limits, nor where an eating disorder is named (exercise can be
        # part of it: readers.eating.eating_disorder).
        no_exertion = limits or any(
            map(eating_disorder, (req.message, *(t.message for t in _recallable(req.window))))
        )
        standing = req.standing_requests
        steps = self._choose_steps(
            req, intent, seed, specifics, technical, no_exertion, stuck=stuck is not None
        )
        if plain := _plainly(persona, standing, [specifics.fill(s.action) for s in steps]):
            return plain
        first = not (req.window or req.summary.turns_folded)
        sentences.extend(
            self._body(persona, intent, steps, seed, specifics, previous, tone, first, calm)
        )

        body = " ".join(sentences).lower()
        missing = [
            item
            for item in specifics.items
            if item.lower() not in body and (intent == "planning" or item not in specifics.timely)
        ]
        if missing:
            sentences.insert(-1, self._specifics_sentence(persona, missing, specifics))
        return " ".join(sentences)

    def _connect(
        self,
        persona: str,
        req: ReplyRequest,
        asking: Asked,
        specifics: _Specifics,
        seed: int,
        tone: str,
        calm: bool,
        name_mood: bool,
    ) -> str:
        """The reply to loneliness or isolation: heard, when they say they only wanted to say
        it (_HEARD), else the tone's opener (as _compose's) and the persona's steps of the
        "connection" pool, the befriending one naming the locale's lines (first with health
        limits: "housebound" may not get out to a club); plainly, as they asked (_plainly)."""
        if LISTEN in asking and "?" not in req.message:
            return _HEARD[persona]
        specifics = replace(specifics, befriending=_such_as(req.support_lines.loneliness))
        lead = "befriending service" if req.gentleness.limits else ""
        steps = self._choose_steps(req, "connection", seed, specifics, technical=False, lead=lead)
        actions = [specifics.fill(step.action) for step in steps]
        if plain := _plainly(persona, req.standing_requests, actions):
            return plain
        prev, first = _last_reply(req), not (req.window or req.summary.turns_folded)
        opener = _opener(persona, tone, prev, calm) if name_mood else []
        body = self._body(persona, "connection", steps, seed, specifics, prev, tone, first, calm)
        return " ".join((*opener, *body))

    def _refer(
        self, persona: str, kind: str, tone: str, previous: str, calm: bool, about: str
    ) -> str:
        """A question for a doctor, lawyer or adviser: whose it is and how to prepare (`about`:
        the kind, or "symptoms" for what a symptom means), no steps; or whether to tell work
        (_DISCLOSE), or workplace adjustments (_ADJUSTMENTS)."""
        if kind == "disclosure":
            refer = _DISCLOSE[persona].format(prep=_PREPARE[kind])
        elif kind == "adjustments":
            refer = _ADJUSTMENTS[persona]
        else:
            refer = _REFER[persona].format(
                who=_WHO[kind], prep=_PREPARE[about], caution=_CAUTION.get(about, "")
            )
        # "Love the curiosity, let's dig in!" before declining it; "Ugh, frustrating!" to "do I
        # have measles?" (curious, read as frustrated for its negative words); no opener that
        # pushes to action (Riri's "Ugh, frustrating! Let's turn that energy into action.") to
        # a question that is not ours to answer
        if tone not in _TROUBLED or about == "symptoms":
            return refer
        return " ".join((*_opener(persona, tone, previous, calm=True), refer))

    def _about_the_reply(
        self,
        persona: str,
        said: str,
        asking: Asked,
        previous: str,
        offered: list[_Step],
        specifics: _Specifics,
    ) -> str:
        """A whole message that closes, asks about the reply before, or only asks how to be
        answered gets one short answer ("" for any other message)."""
        if asking.only and STOP in asking:
            return _CLOSING[persona][False]
        if asking.only and LISTEN in asking:
            return _LISTENING[persona]
        # another language: the notice, then where to start (the reply before's first step, or
        # else new ones, below)
        if asking.only and previous and (SHORTER in asking or (LANGUAGE in asking and offered)):
            short = _in_short(persona, previous, offered, specifics)
            return f"{_ENGLISH_ONLY} {short}" if LANGUAGE in asking else short
        if not previous:
            return ""
        if offered and (_asks_first_step(said) or (asking.only and ONE_STEP in asking)):
            action = _as_written(offered[0], previous, specifics)
            return _FIRST_STEP_LINE.format(action=action)  # no new step: the one given first
        if asking.only and offered and asking.kinds & {LITERAL, LIST}:  # the reply before, so
            actions = [_as_written(step, previous, specifics) for step in offered]
            return _plainly(persona, asking.kinds, actions)
        if asking.only and asking.undone and not asking.kinds:
            return _AS_USUAL
        if said in _THANKS | _NOTED:
            return _CLOSING[persona][said in _THANKS]  # no new steps
        if said in _MISREAD:
            return _ASK_AGAIN[persona]
        if said in _CLARIFY:
            if not offered:
                return _UNCLEAR[persona]
            step = offered[0]
            return _RESTATE[persona].format(action=specifics.fill(step.action), why=step.why)
        if said in _YES and offered:
            step = offered[0]
            line = _GO_AHEAD[persona].format(action=specifics.fill(step.action), why=step.why)
            # a second "yes" to that line closes, rather than repeat it word for word
            return _CLOSING[persona][False] if line == previous else line
        return ""

    def _body(
        self,
        persona: str,
        intent: str,
        steps: list[_Step],
        seed: int,
        specifics: _Specifics,
        previous: str,
        tone: str,
        first: bool,
        calm: bool,
    ) -> list[str]:
        """The persona-shaped advice: one step, numbered actions, options, or encouragement."""
        actions = [specifics.fill(s.action) for s in steps]
        focus = _FOCUS[intent]
        if persona == "lua":
            return [
                (
                    f"Let's slow down with {focus} and take one gentle step: {actions[0]}, "
                    f"because {steps[0].why}."
                ),
                # "What feels heaviest" only when something is heavy (not to "cool!")
                _fresh(_LUA_QUESTIONS[0 if tone in _HEAVY else 1 :], seed >> 8, previous),
            ]
        if persona == "riri":
            numbered = " ".join(f"{i}) {_capitalise(a)}." for i, a in enumerate(actions[:3], 1))
            if calm:  # every closer of hers cheers ("you've got this!"), and so does the rush
                return [f"Three small things for {focus}: {numbered}"]
            return [
                f"Fast track for {focus}: {numbered}",
                _fresh(_RIRI_CLOSERS, seed >> 8, previous),
            ]
        if persona == "elro":
            if intent in _ELRO_STEPWISE:
                ordinals = ("First", "Second", "Third")
                ordered = " ".join(
                    f"{o}, {a}." for o, a in zip(ordinals, actions[:3], strict=False)
                )
                return [
                    f"Let's take {focus} step by step. {ordered}",
                    _fresh(_ELRO_STEP_CLOSERS, seed >> 8, previous),
                ]
            return [
                (
                    f"Let's structure {focus} as two options. Option A: {actions[0]}, since "
                    f"{steps[0].why}. Option B: {actions[1]}, since {steps[1].why}."
                ),
                _fresh(_ELRO_OPTION_CLOSERS, seed >> 8, previous),
            ]
        return [
            (
                f"I'm right here with you on {focus}, so how about we start small: "
                f"{actions[0]}, and then {actions[1]}."
            ),
            # "proud of you for reaching out" once, on the session's first turn
            _fresh(_NANA_CHECKINS if first else _NANA_LATER, seed >> 8, previous),
        ]

    def _choose_steps(
        self,
        req: ReplyRequest,
        intent: str,
        seed: int,
        specifics: _Specifics,
        technical: bool,
        no_exertion: bool = False,
        *,
        stuck: bool = False,
        lead: str = "",
    ) -> list[_Step]:
        """Three steps, rotated by the hash, skipping what was suggested or tried before (and,
        `no_exertion`, a walk; asked for literal words, a step said in an idiom); the
        five-minute start first when they can't start (`stuck`), or the step marked `lead`."""
        literal = LITERAL in req.standing_requests
        pool = tuple(
            s
            for s in _STEPS[intent]
            if not (no_exertion and s.marker in _EXERTING)
            and not (literal and s.marker in _FIGURATIVE)
        )
        if technical:
            # debugging, plus the neutral steps that fit any problem (the smallest next step,
            # fresh eyes, what was tried), not "in writing, to whoever can decide" for a bug
            pool = _TECHNICAL_STEPS + pool[1:4]
        window = _recallable(req.window)
        suggested = " ".join(turn.reply for turn in window).lower()
        user_said = " ".join(
            (req.message, *(turn.message for turn in window), *_tried(req))
        ).lower()

        def used(step: _Step) -> bool:
            return (
                step.marker in suggested
                or specifics.fill(step.action).lower() in suggested
                or any(k in user_said for k in step.keywords)
            )

        start = seed % len(pool)
        rotated = pool[start:] + pool[:start]
        if stuck:
            rotated = tuple(sorted(rotated, key=lambda s: s.marker != "takes five minutes"))
        if lead:
            rotated = tuple(sorted(rotated, key=lambda s: s.marker != lead))
        fresh = [s for s in rotated if not used(s)]
        # Refill with older steps before those of the reply just before: "rate your energy from
        # one to ten" came back right after the user answered "7".
        last = _last_reply(req).lower()
        refill = sorted((s for s in rotated if s not in fresh), key=lambda s: s.marker in last)
        return (fresh + refill)[:3]

    def _refers_back(self, req: ReplyRequest, tone: str, weak: bool = True) -> bool:
        """Does the message say that what was suggested or tried before did not work? `weak`:
        may a weak cue ("again") say so?"""
        history = bool(req.window or _tried(req))
        message = canonical_text(req.message)  # the patterns read ' where iOS sends ’
        if _REFERS_BACK.search(message):
            # A first message refers back only to what it says was tried: "my landlord won't
            # fix the heating" has nothing before it to have failed.
            return history or bool(extract_tried(message))
        weak_cue = _REFERS_BACK_WEAK.search(message)
        if weak_cue and weak_cue.group(0).lower() == "again" and _ASKS.search(message):
            return False
        return history and tone in _TROUBLED and bool(weak and weak_cue)

    def _previous_attempt(self, req: ReplyRequest, specifics: _Specifics) -> str:
        """A short description of what was suggested or tried before."""
        suggestion = ""
        window = _recallable(req.window)
        for turn in reversed(window):
            if offered := _offered(turn.reply):
                suggestion = "the idea to " + specifics.fill(offered[0].action)
            if not suggestion and (match := _SUGGESTION_SENTENCE.search(turn.reply)):
                frag = safe_fragment(match.group(0))
                if frag and not looks_like_instruction(frag):
                    suggestion = f"my earlier suggestion (“{frag}”)"
            if suggestion:
                break

        # What the user said they tried, newest first: this message, the window, the summary.
        candidates = extract_tried(req.message)[:1]
        candidates += [said[0] for t in reversed(window) if (said := extract_tried(t.message))]
        candidates += list(reversed(_tried(req)))
        tried = next(
            (
                frag
                for raw in candidates
                if (frag := safe_fragment(raw)) and not looks_like_instruction(raw)
            ),
            "",
        )

        if suggestion and tried:
            return f"{suggestion} (and {tried})"
        return suggestion or tried or "what we tried before"

    def _earlier_topic(self, req: ReplyRequest, specifics: _Specifics) -> str:
        """Something the current message shares with an earlier turn ("" when unrelated)."""
        window = _recallable(req.window)
        # The same message again raises nothing earlier, and its words read out of their phrase
        # ("... what you raised earlier about the current", from "my current company").
        if not window or _normalised(window[-1].message) == _normalised(req.message):
            return ""
        # as keywords() reads the message: "mum’s" is "mum's"
        earlier_text = canonical_text(" ".join(turn.message for turn in window)).lower()
        for item in specifics.topical:
            if item.lower().removeprefix("your ") in earlier_text:
                return item
        # A shared word that was a thing earlier (after "the", "my", "a" ... within two words:
        # "my exams", "a job interview"), not any long word ("what you raised earlier about
        # the worried", "... the actually"). A word not in the earlier text at all is not looked
        # for (the pattern's own test, far cheaper).
        shared = [
            word
            for word in keywords(req.message, limit=50)
            if word in earlier_text and _after_a_determiner(word).search(earlier_text)
        ]
        return "the " + safe_fragment(max(shared, key=len).lower(), 30) if shared else ""

    def _specifics_sentence(self, persona: str, items: list[str], specifics: _Specifics) -> str:
        # roles match their plural too ("customers", "managers"), not "boss"
        plural = len(items) > 1 or (
            items[0] in specifics.people and re.search(r"[^s]s$", items[0]) is not None
        )
        people = plural or items[0] in specifics.people
        return _SPECIFICS[persona].format(
            items=_join(items), it="them" if people else "it", be="are" if plural else "is"
        )
