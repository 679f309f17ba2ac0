"""Loneliness and isolation in a message, for the template generator (English, pure; read on
common.text.canonical_text, case-insensitive). The loneliness review: "how do I make friends as
an adult" got a tutorial, "working from home and I can go days without seeing a person" a
written request "to whoever can decide", "I have no one to talk to" "tell someone close to you
how you're really feeling", "I'm 85 and housebound, I don't see anyone apart from the carer" a
ten-minute walk. Such a message is met with human contact (template.py's "connection" steps),
not productivity. Only the user's own: "my mum is so lonely", an essay on loneliness, or being
left out of a meeting invite at work stay ordinary; a crisis is read before this, elsewhere."""

from __future__ import annotations

import re
from collections.abc import Sequence

from common.text import canonical_text

_NO_ONE = r"(?:no\s*one|nobody|no\s+body)"
_ANYONE = r"(?:anyone|anybody|a\s+(?:single\s+)?(?:soul|person)|another\s+person)"
_FRIENDS = r"(?:friends?|mates|people|company)"
# What work leaves people out of, which is for ordinary coaching ("I feel left out of the
# meeting invites").
_AT_WORK = (
    r"(?:meetings?|invites?|invitations?|emails?|threads?|calls?|loop|decisions?|cc|chats?"
    r"|channels?|stand-?ups?|reviews?|projects?|reports?|credits?|lists?|slides?|docs?|planning"
    r"|the\s+(?:team|group)\s+(?:chat|email|call|thread))"
)
_ISOLATED = re.compile(
    # lonely, or isolated in a way no code is ("isolated the bug", "an isolated environment")
    r"\blonel(?:y|iness|ier|iest)\b(?!\s+(?:planet|island))"
    r"|\b(?:feel(?:s|ing)?|felt|so|very|really|completely|totally|socially|i'?m|i\s+am|been"
    r"|become|getting)\s+(?:so\s+|very\s+|really\s+|quite\s+|completely\s+|totally\s+)?isolated\b"
    r"|\bsocial\s+isolation\b"
    # alone, as a feeling or a way of life, not a fact of the moment ("I'm alone at home")
    r"|\b(?:feel(?:s|ing)?|felt)\s+(?:so\s+|very\s+|really\s+|completely\s+|totally\s+|all\s+)?"
    r"alone\b|\b(?:i'?m|i\s+am)\s+(?:so|all|completely|totally|always)\s+alone\b"
    r"|\balone\s+(?:again|anyway|all\s+the\s+time|every\s+(?:day|night|evening|weekend)"
    r"|for\s+(?:christmas|the\s+holidays|new\s+year|my\s+birthday))\b"
    r"|\b(?:every|each)\s+(?:day|night|evening|weekend)\s+alone\b"
    r"|\b(?:eat|eats|eating|ate|spend|spends|spent|spending)\s+(?:\w+\s+){1,2}?alone\s+"
    r"(?:every|each|all)\b"
    # no one to turn to
    rf"|\b(?:have|got)\s+(?:no\s+(?:friends|one|body)|nobody|noone)\b"
    rf"|\b(?:don'?t|do\s+not|never)\s+have\s+(?:any\s+)?(?:friends|{_ANYONE}|someone|somebody)\b"
    rf"|\b{_NO_ONE}\s+to\s+(?:talk|speak|turn|go\s+out|spend\s+\w+)\b"
    r"|\b(?:want|need|wish\s+i\s+had)\s+(?:someone|somebody|anyone|a\s+friend|people)\s+to\s+"
    r"(?:talk|speak)\s+to\b(?!\s+about\b)"
    rf"|\b{_NO_ONE}\s+(?:really\s+|ever\s+|even\s+)?(?:knows|understands|needs|wants|calls|rings"
    r"|visits|texts|messages|invites|talks\s+to|speaks\s+to|cares\s+about)\s+me\b"
    r"|\b(?:no|zero)\s+friends\b|\b(?:friends|mates)\s+(?:are\s+)?all\s+(?:dead|gone)\b"
    r"|\ball\s+my\s+friends\s+(?:have\s+)?(?:died|passed|gone)\b|\bthe\s+last\s+one\s+left\b"
    # days without anyone
    rf"|\b(?:don'?t|do\s+not|never|rarely|hardly\s+ever)\s+(?:see|speak\s+to|talk\s+to|hear\s+from)"
    rf"\s+{_ANYONE}\b"
    rf"|\bwithout\s+(?:seeing|speaking\s+to|talking\s+to|hearing\s+from)\s+{_ANYONE}\b"
    rf"|\b(?:haven'?t|have\s+not|hasn'?t)\s+(?:seen|spoken\s+to|talked\s+to)\s+{_ANYONE}\s+(?:in|for)\b"
    r"|\b(?:never|nobody|no\s+one)\s+(?:calls?|rings?|visits?|texts?)\s+(?:me\s+)?any\s*more\b"
    r"|\b(?:kids|children|family|son|daughter|grandchildren|grandkids)\s+(?:all\s+)?"
    r"(?:live|lives|living|moved)\s+(?:abroad|overseas|far\s+away|in\s+another\s+country)\b"
    # new somewhere, or wanting friends
    r"|\b(?:don'?t|do\s+not)\s+know\s+(?:anyone|anybody|a\s+soul)\b(?![^.!?]{0,30}\b(?:who|that"
    r"|which|with)\b)|\bknow\s+(?:no\s*one|nobody)\b"
    rf"|\b(?:how|where)\s+(?:do|can|could|should|would|does|did)\s+(?:i|you|one|people|someone)"
    rf"\s+(?:\w+\s+)?(?:make|meet|find)\s+(?:new\s+)?{_FRIENDS}\b"
    rf"|\b(?:i|i'?m|me)\s+(?:\w+\s+){{0,3}}?(?:want|need|trying|try|struggle|struggling)\s+to\s+"
    rf"(?:make|meet|find)\s+(?:new\s+|some\s+)?{_FRIENDS}\b"
    rf"|\b(?:hard|help\s+me)\s+(?:to\s+)?(?:make|meet|find)\s+(?:new\s+|some\s+)?{_FRIENDS}\b"
    r"|\bmaking\s+(?:new\s+)?friends\b"
    # left out
    r"|\b(?:feel|feels|feeling|felt|i'?m|i\s+am|always|been|get|getting|keep\s+getting)\s+"
    r"(?:so\s+|really\s+|a\s+bit\s+|kind\s+of\s+|totally\s+)?left\s+out\b"
    rf"(?!\s+of\s+(?:the\s+|a\s+|an\s+|this\s+|that\s+|our\s+|my\s+)?(?:\w+\s+)?{_AT_WORK}\b)"
    r"|\b(?:go|goes|went|going)\s+out\s+without\s+me\b|\bstopped\s+inviting\s+me\b"
    r"|\b(?:friends|plans|a\s+group|someone|a\s+partner|people)\b[^.!?]{0,30}\bexcept\s+me\b"
    r"|\bonly\s+one\b[^.!?]{0,30}\bwithout\s+(?:a\s+|any\s+)?(?:group|friends?|anyone)\b"
    # invisible among their own people, not at work ("I feel invisible in meetings": coaching)
    r"|\bfeel(?:s|ing)?\s+(?:so\s+|completely\s+|totally\s+)?invisible\s+(?:at|to|in|with)\s+"
    r"(?:(?:my|the|our)\s+)?(?:family|home|gatherings?|parties|party|friends)\b"
    r"|\bmiss\s+having\s+(?:people|someone|company|friends)\b",
    re.IGNORECASE,
)
# Someone else's loneliness ("my mum is so lonely", "my lonely neighbour"), or loneliness as a
# topic ("an essay on loneliness"): left out before the message is read.
_NOT_THEIRS = re.compile(
    r"\b(?:he|she|they|(?:my|his|her|their|our)\s+[\w-]+)\s+(?:is|are|was|were|feels?|felt|seems?"
    r"|gets?|has\s+been|have\s+been|looks?)\s+(?:\w+\s+)?(?:lonely|isolated|alone)\b"
    r"|\b(?:my|his|her|their|our)\s+(?:\w+\s+)?lonely\b"
    r"|\b(?:essay|article|research|paper|study|talk|presentation|podcast|book|thesis|project"
    r"|report|course|campaign)\s+(?:on|about)\s+(?:\w+\s+)?(?:loneliness|isolation)\b",
    re.IGNORECASE,
)


# Only what to do about what they said before ("I'm 79, I just want someone to talk to" ...
# "what can I do about it?" got "ask someone ... to look at it with fresh eyes").
_ABOUT_IT = re.compile(
    r"\W*(?:(?:so|ok|okay|but|and|well)\s+)*(?:(?:what|how)\s+(?:can|could|should|do|would)\s+i"
    r"(?:\s+do)?(?:\s+about\s+(?:it|that|this)|\s+(?:change|fix|help|deal\s+with)\s+(?:it|that|this))?"
    r"|what\s+now|any\s+(?:ideas|tips|advice|suggestions)|help(?:\s+me)?)\W*",
    re.IGNORECASE,
)


def isolated(text: str, earlier: Sequence[str] = ()) -> bool:
    """The message says that they are lonely or isolated, or want friends (_ISOLATED), of
    themselves (_NOT_THEIRS left out); or it only asks what to do about it (_ABOUT_IT) right
    after the last of `earlier` (the window's messages) did."""
    said = _NOT_THEIRS.sub(" ", canonical_text(text))
    if _ISOLATED.search(said):
        return True
    asks = _ABOUT_IT.fullmatch(canonical_text(text).strip()) is not None
    return asks and bool(earlier) and isolated(earlier[-1])
