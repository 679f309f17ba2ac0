"""Sensitive matters in a message, for the template generator: heavy life events, after which a
cheerful or study-shaped reply is tone-deaf, gambling harm, and questions that are not a mentor's
to answer (for a doctor, a lawyer, a bank's fraud team, a debt adviser, a financial adviser, an
employment adviser, or about telling someone at work). Read on common.text.canonical_text (’ as
'), case-insensitive; English only, as the template's replies are."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from common.analysis.prognosis import HEAVY_WORDS, stated_prognosis
from common.replies.coming_out import WENT_WELL
from common.replies.health_at_work import (
    adjustments_asked,
    persistent_symptom,
    refused_at_work,
    side_effect,
)
from common.replies.justice import RELEASED
from common.text import canonical_text

# Heavy life events (the sensitive-disclosures review: "I had a miscarriage last week" got "It's
# lovely to hear you sounding so settled", "I was diagnosed with cancer on Monday" a tutorial,
# "The person harassing me IS the HR manager" "Pick one and go, you've got this!"). Each in a
# form everyday talk at work does not use: "diagnosed with" or "my diagnosis", not "diagnosed
# the bug"; a person who died, not "the build died", and who "passed" with nothing after it, not
# "my dad passed his toolbox on to me"; "came out to my parents", not "the release came out";
# "I'm undocumented", not "an undocumented API"; "grieving", not "a grievance".
_PERSON = (
    r"(?:mom|mum|mother|dad|father|parents?|brother|sister|sibling|son|daughter|baby|child|kid"
    r"|husband|wife|partner|boyfriend|girlfriend|fianc[eé]e?|grand(?:ma|pa|mother|father|parent)"
    r"|grandad|granddad|nan|gran|aunt|uncle|cousin|niece|nephew|friend|colleague|coworker"
    r"|co-worker|boss|manager|mentor|teacher|neighbou?r|dog|cat|pet)"
)
_DIED = (
    r"(?:died|passed(?=\s*(?:[.,;!?]|$)|\s+(?:in|last|this|suddenly|recently|yesterday|today"
    r"|earlier|away|on\s+\w+day)\b))"
)
# A diagnosis, as both a heavy event and a matter one may be asked about at work.
_DIAGNOSIS = r"(?:diagnosed\s+with|(?:my|her|his|their|a|the)\s+(?:\w+\s+)?diagnosis)"
_DISCRIMINATION = r"discriminat(?:e|ed|es|ing|ion|ory)"
_PET = r"(?:dog|cat|pet|puppy|kitten|horse|rabbit|bunny|hamster)"
# Deaths not said with "died" (the grief review: "my son hanged himself", "we lost the baby",
# "had to put our dog down" got upbeat openers): each in a form work talk does not use, not
# "wake up", "put down my notes", "in the wake of the outage" or "the Ashes"; someone who
# overdosed, not "Overdosed on coffee before my viva... I PASSED!!!" (the health-habits review).
# A suicide only as someone's ("his suicide", "my brother's suicide", "the suicide of my
# friend", "lost my dad to suicide"): not a thesis on suicide prevention or an essay on suicide
# rates (the creative review: a lit-review question got "tell someone close to you how you're
# really feeling", and the next one, "what databases should I search?", slow breaths).
_SUICIDE_OF = (
    r"(?:(?:(?:my|our|his|her|their|a)\s+(?:\w+\s+)?)?\w+'s|his|her|their)\s+suicide"
    r"(?!\s+(?:rates?|prevention|risk|research|statistics|data|awareness))"
    r"|suicide\s+of\s+(?:my|our|his|her|their|a)\s|lost\s+(?:\w+\s+){1,3}?to\s+suicide"
    r"|died\s+(?:by|of|from)\s+suicide|committed\s+suicide"
)
_LOSS = (
    r"(?:hanged|killed|shot|drowned)\s+(?:him|her|them)sel(?:f|ves)"
    rf"|took\s+(?:his|her|their)\s+(?:own\s+)?life|{_SUICIDE_OF}"
    rf"|(?:{_PERSON}|he|she|they|someone)\s+(?:\w+\s+)?overdosed"
    rf"|(?:{_PERSON}|he|she|they)\s+(?:was|were|got|(?:had|has|have)\s+been)\s+killed"
    r"|(?:he|she|they)\s+(?:\w+\s+)?died"
    rf"|lost\s+(?:the|our|my|her|his|their)\s+(?:\w+\s+)?{_PERSON}(?!\s+(?:at|in)\s+the)"
    rf"|put\s+(?:our|my|the|her|his|their)\s+(?:\w+\s+)?{_PET}\s+(?:down|to\s+sleep)"
    rf"|{_PET}\s+(?:had\s+to\s+be|was|were|got|is\s+being)\s+put\s+(?:down|to\s+sleep)"
    r"|memorial(?!\s+day)|eulog(?:y|ies|ise|ize)|(?:scatter\w*|spread\w*)\s+(?:\w+\s+)?ashes"
    r"|(?:his|her|their)\s+ashes|(?:the|his|her|their)\s+wake(?!\s+(?:of|up|word))"
    r"|(?:(?:my|our)\s+\w+'s|his|her|their)\s+death"
)
_HEAVY_EVENT = re.compile(
    r"\b(?:miscarr(?:y|ied|iage|iages)|stillb(?:irth|orn)|pregnancy\s+loss"
    rf"|{_DIAGNOSIS}"
    r"|(?:was|were|been|got|get|being|newly|recently)\s+diagnosed"
    r"|cancer|chemo(?:therapy)?|radiotherapy|tumou?rs?|terminal(?:ly)?\s+ill"
    # a prognosis (the illness review: "it's palliative now" got "put the facts in writing")
    rf"|{HEAVY_WORDS}"
    r"|passed\s+away|funerals?|bereave\w*|griev(?:e|es|ed|ing)|grief"
    # widowed ("I'm 72 and recently widowed" read as no loss); not typesetting's widows and
    # orphans, nor the black widow
    r"|(?<!black\s)widow(?:ed|ers?|s)?\b(?!\s*(?:and|&|/)\s*orphans?|\s+(?:lines?|control))"
    rf"|{_LOSS}"
    rf"|(?:my|our|her|his|their)\s+(?:\w+\s+)?{_PERSON}\s+(?:\w+\s+)?{_DIED}"
    rf"|harass\w*|{_DISCRIMINATION}|assault\w*|raped?|molest\w*"
    # someone hurting them that no crisis sign may catch (the bystander review: "my boss groped
    # me" got a cheerful reply); not "groped for my keys", "attacked the bug", "attacked me with
    # questions"
    r"|grop(?:ed|es|ing)\s+(?:me|her|him|them)|(?:was|were|got|been|being)\s+groped"
    r"|touched\s+me\s+inappropriately|inappropriately\s+touched"
    r"|(?:attacked\s+me|(?:was|were|got|been|being)\s+(?:physically\s+|violently\s+)?attacked)"
    r"(?!\s+(?:with|about|for|online|on\s+(?:twitter|x|linkedin|reddit|slack|social|facebook"
    r"|instagram|tiktok|the\s+internet)|in\s+(?:the\s+)?(?:code\s+)?review"
    r"|by\s+(?:the\s+)?(?:trolls?|bots?|reviewers?))\b)"
    r"|(?:being|been|was|were|is|are|getting)\s+abused|abusive"
    r"|misgender\w*|homophob\w*|transphob\w*|racis[mt]"
    # dysphoria, and hating one's body said by a trans or non-binary user (the LGBTQ+ review:
    # "every day I look in the mirror and hate this body ... as a trans girl" got "Oh, that
    # sounds so frustrating"); not "I hate my body after the holidays"
    r"|dysphori\w*|hate\s+(?:this|my(?:\s+own)?)\s+body(?=.*\b(?:trans|transgender|non-?\s?binary"
    r"|enby|genderqueer)\b)|(?:trans|transgender|non-?\s?binary|enby|genderqueer)\b(?=.*"
    r"\bhate\s+(?:this|my(?:\s+own)?)\s+body)"
    # a coming out, unless told that it went well ("they were amazing!!" got "what you're
    # carrying": the LGBTQ+ review)
    rf"|c(?:ame|oming)\s+out\s+(?:to\s+(?:my|our|his|her|their|the)|as)(?![^.!?]*?{WENT_WELL})"
    r"|(?:i'?m|i\s+am|we'?re|we\s+are|being|as\s+an?)\s+undocumented"
    r"|undocumented\s+(?:immigrants?|workers?|status)|deport(?:ed|ation|ing)?)\b",
    re.IGNORECASE,
)

# A chronic illness or disability that limits their energy or what they can do (the review:
# "my fibromyalgia flared up again" got "Ugh, frustrating! Let's turn that energy into action.",
# "I'm having a flare and can't do anything today" Riri's "cut it down to size, fast", ME/CFS
# "25 focused minutes"). "MS" only in capitals after a word that makes it the illness (not
# "MS Teams"); a flare not of a lens or the sun.
_HEALTH_LIMITS = re.compile(
    r"\b(?:(?<!lens\s)(?<!solar\s)flare(?:[sd]|-?ups?)?|flaring(?:\s+up)?"
    r"|chronic(?:ally)?\s+(?:pain|ill\w*|fatigue|condition|migraines?|tired)"
    r"|me\s*/\s*cfs|cfs|long\s+covid|fibro(?:myalgia)?|lupus|multiple\s+sclerosis"
    r"|(?:my|with|have|has|of)\s+(?-i:MS)|arthritis|wheelchairs?|disabled|disabilit(?:y|ies)"
    # "I'm 85 and housebound" got "Step outside for a ten-minute walk" (the loneliness review)
    r"|house-?bound|bed-?bound|bedridden"
    # The illness review: "I'm deaf and video interviews are hell", "my diabetes means I need
    # breaks, my manager says no" got "Ugh, frustrating!", "my cancer is back" a ten-minute walk.
    # Not "blind to", "blind spot", "fell on deaf ears", "a stroke of luck", "my dad's cancer".
    r"|(?:i'?m|i\s+am|being|partially|profoundly|registered|legally|severely|going)\s+"
    r"(?:deaf|blind)\b(?!\s+(?:spot|date|review|copy|to)\b)|deafness|hard\s+of\s+hearing"
    r"|hearing\s+(?:loss|aids?|impair\w*)|visually\s+impaired|sight\s+loss|low\s+vision"
    r"|epilep\w*|diabet\w*|crohn'?s|colitis|endometriosis|migraines?"
    r"|(?:a|my)\s+(?:mild\s+|minor\s+|major\s+|small\s+)?stroke\b(?!\s+(?:of|technique)\b)"
    r"|chemo(?:therapy)?|radiotherapy|my\s+(?:\w+\s+)?cancer"
    r"|i\s+(?:have|'ve\s+got|have\s+got)\s+(?:\w+\s+)?cancer|living\s+with\s+cancer"
    r"|my\s+(?:depression|anxiety|illness|condition|pain|fatigue)\s+(?:\w+\s+)?"
    r"(?:makes?|making|means?|stops?|leaves?))\b",
    re.IGNORECASE,
)

# Eating far below what a body needs (the health-habits review: "I've been eating 500 calories a
# day to hit my weight goal" got "lovely to hear you sounding so settled", "I skip meals on
# purpose so I can lose weight faster, how do I stay motivated?" motivation steps): no crisis
# (purging and laxatives are, common/analysis/safety_phrases.json), but no push, and a doctor.
# Not "my watch says I burned 900 cals" or "I had to skip lunch to get it done".
_HEALTH_RISK = re.compile(
    r"\b(?:eat|eats|eating|ate|have|having|let\s+myself\s+(?:eat|have)|allow\s+myself)\s+"
    r"(?:(?:only|just|about|around|under|less\s+than|barely|like|maybe)\s+)?(?:[1-9]\d|[1-7]\d\d)"
    r"\s*(?:calories|cals|kcal)\s+(?:a|per|each)\s+day"
    r"|\bskip(?:s|ping|ped)?\s+(?:meals|lunch|breakfast|dinner|food|eating)\s+"
    r"(?:on\s+purpose|to\s+lose\s+weight)\b",
    re.IGNORECASE,
)

# Gambling harm (the money review: "I keep chasing my losses" got Riri's "Set a 25-minute timer
# ... Plan a small reward"; chasing losses is a DSM-5 criterion of gambling disorder): chasing
# losses, winning or getting it back in a message about betting, money needed gambled away, a
# relapse, not being able to stop. Not "chasing the bug", "I bet I can get it back to them".
_GAMBLING_WORD = (
    r"(?:(?<!\bi\s)(?<!\byou\s)\bbet(?:s|ting)?|gambl\w*|casinos?|slots?|poker|roulette"
    r"|blackjack|wager\w*|bookies?|sportsbook)\b"
)
# Money needed for living, gambled or bet ("I bet the rent money on a horse", not "I bet the
# money's gone").
_NEEDED = (
    r"(?:away\s+)?(?:all\s+)?(?:of\s+)?(?:my|our|the)\s+(?:whole\s+|entire\s+)?(?:rent|mortgage"
    r"|wages?|salary|pay(?:check|cheque)?|savings|bills?|money|food)"
)
_LOST = (
    r"(?:it|that|(?:the\s+|my\s+)?money|(?:my|the|those)\s+(?:\w+\s+)?loss(?:es)?|what\s+i\s+lost)"
)
_GAMBLING_HARM = re.compile(
    r"\bchas(?:e|es|ed|ing)\s+(?:(?:all\s+)?(?:my|our)\s+)?"
    r"(?:(?:gambling|betting|poker|casino)\s+)?loss(?:es)?\b"
    rf"|^(?=.*{_GAMBLING_WORD}).*?\b(?:win|won|get|make|earn)\s+(?:{_LOST}\s+(?:all\s+)?back"
    rf"|back\s+{_LOST})\b"
    rf"|\bgambl\w*\s+{_NEEDED}\b|\bbet\s+{_NEEDED}\b(?=[^.!?]*\b(?:on|at|and\s+lost)\b)"
    r"|\brelaps\w*\b(?=.*\bgambl)|\bgambl\w*\b.*\brelaps"
    r"|\b(?:can'?t|cannot|couldn'?t)\s+stop\s+(?:gambling|betting)\b",
    re.IGNORECASE | re.DOTALL,
)


# What caring work exposes them to, weighing on them (the creative review: "I volunteer on a
# crisis line, any tips for not taking it home?" got "review your notes for five minutes", and
# no reply named a debrief, supervision, peer support or an employee assistance programme): a
# role that meets others' crises, what it brings them (calls, posts, patients, a shift), and
# its toll (coping, nightmares, numbness, taking it home). Not "how do I cope with my nursing
# exams?" (no calls, patients or shifts).
_CARING_ROLE = (
    r"\b(?:volunteer\w*|moderat(?:or|ors|e|es|ing)|nurs(?:e|es|ing)|paramedics?|dispatchers?"
    r"|counsell?or\w*|counsell?ing|social\s+workers?|first\s+responders?|hospice)\b"
)
_EXPOSED_TO = (
    r"\b(?:calls?|callers?|posts?|content|videos?|clients?|patients?|shifts?|cases?|deaths?"
    r"|crisis\s+line|helpline|hotline)\b"
)
_TOLL = (
    r"\b(?:cope|coping|nightmares?|numb|(?:taking|take|takes|bring|bringing)\s+it\s+home"
    r"|switch(?:ing)?\s+off|stuck\s+with\s+me|can'?t\s+stop\s+thinking|wearing\s+me\s+down"
    r"|burn(?:ed|t|ing)?\s*out|haunt\w*|compassion\s+fatigue|vicarious|secondary\s+trauma)\b"
)
_EXPOSURE = re.compile(
    rf"^(?=.*{_CARING_ROLE})(?=.*{_EXPOSED_TO})(?=.*{_TOLL})", re.IGNORECASE | re.DOTALL
)


def occupational_exposure(text: str) -> bool:
    """The message speaks of what caring work exposes them to, and its toll (_EXPOSURE): a
    debrief, supervision, peer support, limits on exposure; not steps for a task."""
    return _EXPOSURE.search(canonical_text(text)) is not None


def gambling_harm(text: str) -> bool:
    """The message speaks of gambling harm (_GAMBLING_HARM): no steps, a referral."""
    return _GAMBLING_HARM.search(canonical_text(text)) is not None


# What a person may be asked about, or choose to tell, at work: health, pregnancy, disability,
# sexuality and gender identity, a criminal record, immigration status.
_MATTER = (
    rf"(?:pregnan\w*|miscarr\w*|ivf|fertility|{_DIAGNOSIS}"
    r"|cancer|chemo\w*|epilep\w*|diabet\w*|hiv"
    r"|crohn'?s|adhd|autis\w*|dyslexi\w*|bipolar|depression|ptsd|ocd"
    r"|neurodiver\w*|asperger'?s?|dyspraxi\w*|dyscalculi\w*|dysgraphi\w*|tourette'?s?"
    r"|anxiety\s+(?:disorder|meds|medication)|eating\s+disorder|mental\s+(?:health|illness)"
    r"|disabilit\w*|disabled|(?:medical|health|heart|chronic)\s+condition|(?:my|an)\s+illness"
    r"|medication|meds|antidepressants?|therapy|therapist|in\s+recovery|addiction|sobriety"
    r"|gay|lesbian|bisexual|queer|trans|transgender|transitioning|sexuality|sexual\s+orientation"
    # gender identity and its care (the LGBTQ+ review: "Earlier they tried: using my they/them
    # pronouns with my team. Topics: nonbinary, using, pronouns." went to Gemini); not a move
    # at work ("my transition to product")
    r"|non-?\s?binary|enby|they\s?/\s?them|pronouns?|dysphori\w*|deadnam\w*|outed"
    r"|my\s+(?:gender\s+)?transition(?!\s+(?:to|into|from|out|back|between)\b)"
    r"|genderqueer|genderfluid|pansexual|asexual|intersex|lgbt\w*|hrt|testosterone"
    r"|o?estrogen|top\s+surgery|gender\s+recognition\s+certificate"
    r"|gender\s+identity|criminal\s+(?:record|conviction|history)|convict(?:ion|ed)|arrest\w*"
    r"|dui|dwi|prison|jail|visa|immigration\s+status|undocumented)"
)
# Someone at work, or what only an employer does to them ("do I have any rights if they fired
# me for being pregnant?" was a lawyer's).
_EMPLOYER = re.compile(
    r"\b(?:employer|boss|manager|team\s*lead|team|hr|work|job|company|colleagues?|coworkers?"
    r"|co-workers?|interviewer|recruiter|fired|dismissed|paid)\b",
    re.IGNORECASE,
)
_MATTER_RE = re.compile(rf"\b{_MATTER}\b", re.IGNORECASE)
_ASKS = re.compile(
    r"\?|^\s*(?:can|could|do|does|is|am|are|will|would|should|must|what|how|whether)\b"
    r"|\b(?:should|can|could|do|must)\s+i\b|\bwhether\b",
    re.IGNORECASE,
)
# Employment-rights questions, for an employment adviser, a union or a legal advice service:
# whether they must tell (only with a matter above: "do I have to tell my manager I'm taking
# Friday off?" is an everyday question), whether they can be fired for something, and, asked
# about, discrimination, visa or immigration status, a criminal record (a background check with
# one). Not "my visa" or "background check" alone: the corpus's "my visa appointment was
# cancelled" and "background check STILL pending" are errands.
_OBLIGED = re.compile(
    r"\b(?:(?:have|need|got)\s+to|required\s+to|obliged\s+to|obligated\s+to|must\s+i)\s+"
    r"(?:tell|disclose|declare|mention|reveal|report|inform)\b",
    re.IGNORECASE,
)
_FIRED = re.compile(  # "will they fire me for complaining?" too
    r"\b(?:can|could|may|will|would)\s+(?:they|he|she|(?:my|the|an?|our)\s+(?:new\s+)?"
    r"(?:employer|boss|manager|company|firm|hr))\s+(?:legally\s+|just\s+)?"
    r"(?:fire|sack|dismiss|terminate|demote|let\s+(?:me\s+)?go|get\s+rid\s+of)\b"
    r"|\b(?:can|could)\s+i\s+(?:be|get)\s+(?:fired|sacked|dismissed|terminated|let\s+go)\b",
    re.IGNORECASE,
)
# Leave and flexible working asked about as a right, for a carer or a parent (the review of
# carers and new parents: "can I ask my employer for carer's leave" got study steps; UK: the
# right to request flexible working from the first day, carer's leave, maternity, paternity and
# shared parental leave; US: FMLA). Not "we have flexible working, how do I plan my week?".
_LEAVE = (
    r"(?:flexible\s+(?:working|hours)|carer'?s'?\s+leave|(?:maternity|paternity|parental"
    r"|shared\s+parental|adoption)\s+(?:leave|pay)|time\s+off\s+for\s+dependants|fmla)"
)
_RIGHTS_TOPIC = re.compile(
    rf"\b(?:{_DISCRIMINATION}|(?:visa|immigration)\s+(?:status|conditions)"
    r"|criminal\s+(?:record|conviction|history)"
    r"|(?:request|ask\s+(?:my\s+\w+\s+|them\s+|him\s+|her\s+)?for|apply\s+for|entitled\s+to"
    rf"|right\s+to|eligible\s+for|qualify\s+for|allowed)\s+(?:\w+\s+){{0,3}}?{_LEAVE}"
    rf"|{_LEAVE}\s+(?:\w+\s+){{0,4}}?(?:entitled|rights?|allowed|eligible|legal|law))\b",
    re.IGNORECASE,
)
# "Is it legal ...?": for a lawyer or a legal advice service (the referral's "legal").
_IS_IT_LEGAL = re.compile(
    r"\bis\s+(?:it|this|that)\s+(?:even\s+|actually\s+)?"
    r"(?:legal|illegal|lawful|unlawful|against\s+the\s+law)\b",
    re.IGNORECASE,
)
# "Should I tell my employer about my epilepsy?": the choice is theirs, never "run a small,
# reversible test" (telling cannot be undone). Whether or how to tell, with someone at work and
# a matter above in the message ("I'm pregnant ... should I tell her before my review?").
_TELL = re.compile(
    r"\b(?:(?:should|shall|do|would|can)\s+i|whether\s+(?:to|i\s+should)|how\s+(?:do\s+i|to))\s+"
    r"(?:tell|inform|let\s+\w+\s+know|disclose|mention|share|reveal|bring\s+(?:it\s+)?up)\b"
    r"|\bkeep\s+it\s+(?:private|to\s+myself|quiet|secret)\b",
    re.IGNORECASE,
)

# A tenant's rights (the money review: "can my landlord evict me without notice?", "what do I do
# about the eviction notice, do I have any rights?" got steps): a lawyer's or a legal advice
# service's, as "is it legal ...?"; "do I have any rights" at work is an employment adviser's.
_TENANT_RIGHTS = re.compile(
    r"\b(?:can|could|may|is\s+it\s+legal\s+for)\s+(?:my|the|our|a)\s+(?:new\s+)?(?:landlord"
    r"|landlady|letting\s+agen(?:t|cy)|property\s+manager|housing\s+association)\s+"
    r"(?:legally\s+|just\s+|really\s+|even\s+)?(?:evict|kick|throw|change|keep|withhold|refuse"
    r"|raise|increase|put\s+up|enter|come\s+in|charge|take|make|force|sell|lock|cut|turn\s+off"
    r"|stop|ban|deduct|do\s+th(?:is|at))\b",
    re.IGNORECASE,
)
_ANY_RIGHTS = re.compile(r"\bdo\s+(?:i|we)\s+have\s+any\s+(?:legal\s+)?rights\b", re.IGNORECASE)

# Questions for a doctor or pharmacist, a lawyer or a money adviser (the Gemini prompt's
# rule): "Should I stop taking my sertraline?" read as decision_making got "Pick one and go,
# you've got this!" and Elro's option A. Narrow on purpose: a decision cue ("should I", "whether
# to", "is it ok to") a few words before a change to a medicine, or a legal or money step, so
# "my contract ends in June, should I look for a new job?" or "should I quit medicine?" (the
# career) stay ordinary questions.
_CUE = (
    r"\b(?:(?:should|shall|can|could|do|must)\s+i|whether\s+(?:to|i\s+should)"
    r"|is\s+it\s+(?:ok|okay|safe|fine|bad|wise|smart|a\s+good\s+idea)\s+(?:to|if\s+i)"
    r"|thinking\s+(?:of|about)|i\s+(?:want|plan)\s+to)\s+(?:[\w'-]+\s+){0,4}?"
)
# For money, someone pressing them is the cue too: "my friend says I should put all my savings
# into his crypto fund, should I?" (not for a medicine: "my doctor says I should stop my meds").
_MONEY_CUE = (
    rf"(?:{_CUE}|\b(?:says|said|thinks|told\s+me|tells\s+me)\s+i\s+should\s+"
    r"(?:[\w'-]+\s+){0,4}?)"
)
_DRUGS = (
    r"antidepressants?|ssris?|sertraline|fluoxetine|citalopram|escitalopram|lexapro|zoloft"
    r"|prozac|adderall|ritalin|vyvanse|xanax|lithium|melatonin|insulin|birth\s+control"
    r"|ibuprofen|paracetamol"
)
# A medicine: named, or a word for one after my, the... or someone's ("my friend's adderall");
# pills, meds and doses also alone ("an extra sleeping pill"; the health-habits review).
_MEDICINE = (
    rf"(?:(?:my|the|these|those|this|his|her|their|your|[\w-]+'s)\s+(?:[\w-]+\s+)?(?:{_DRUGS}"
    r"|medications?|medicines?(?!\s+(?:degree|course|school|students?|career|exams?|rotation"
    r"|placements?|module|programme|program|finals|interview))|meds|pills?|tablets"
    rf"|prescriptions?|doses?|dosage)|{_DRUGS}|medications?|meds|pills?|tablets?|doses?)\b"
)
# A change to a medicine: more or less of it ("take two extra"), someone else's ("take my
# friend's"), or alcohol with it ("drink on my antidepressants").
_CHANGE = (
    r"(?:stop|quit|skip|start|double(?!-)|increase|decrease|reduce|lower|raise|up|change"
    r"|switch|come\s+off|coming\s+off|get\s+off|taper|cut\s+down(?:\s+on)?|mix"
    r"|take\s+(?:(?:an?|one|two|three|four|\d+|a\s+few|a\s+couple(?:\s+of)?|some)\s+)?"
    r"(?:more|less|fewer|extra|double)|take(?=\s+(?:(?:my|a|his|her|their|our)\s+)?[\w-]+'s\s)"
    r"|drink(?:ing)?(?:\s+(?:alcohol|wine|beer))?\s+(?:on|with|while\s+(?:on|taking)))"
    r"\w*\s+(?:[\w'-]+\s+){0,2}?"
)
_NEEDS_PROFESSIONAL = {
    "medical": re.compile(rf"{_CUE}{_CHANGE}{_MEDICINE}", re.IGNORECASE),
    "legal": re.compile(
        rf"{_CUE}(?:sue\b|file\s+(?:a\s+)?lawsuit|take\s+(?:them|him|her|my\s+\w+)\s+to\s+court"
        r"|(?:file\s+for|declare)\s+(?:myself\s+)?bankrupt|(?:fight|file|apply)\s+for\s+custody)",
        re.IGNORECASE,
    ),
    # A fee to get back money already lost is the usual second scam: for the bank, not a plan.
    "fraud": re.compile(
        rf"{_MONEY_CUE}pay\s+(?:\w+\s+){{0,3}}?(?:release|recovery|unlock)\s+fees?\b", re.IGNORECASE
    ),
    # Borrowing and debts, for free debt advice ("should I take a payday loan to cover rent?"
    # got "ask yourself which option you'd regret not trying").
    "debt": re.compile(
        rf"{_MONEY_CUE}(?:(?:take|get)\s+(?:out\s+)?(?:a|another)\s+(?:[\w£$€]+\s+)?loan"
        r"|loan\s+apps?"
        r"|borrow\s+(?:from|against)\s+(?:my|our)\s+(?:401\s*k|pension|retirement)"
        r"|consolidate\s+(?:all\s+)?(?:my|our|the)\s+(?:\w+\s+)?(?:debts?|loans?|credit\s+cards?)"
        r"|co-?sign|(?:be|become)\s+(?:a|the|his|her|their)\s+guarantor"
        r"|sign\s+(?:\w+\s+){0,2}?guarantee"
        r"|stop\s+paying\s+(?:my|our|the)\s+(?:\w+\s+)?(?:credit\s+cards?|loans?|debts?))\b",
        re.IGNORECASE,
    ),
    # Savings, pensions, investments (only 4 of 28 such "should I ..." were referred: "should I
    # buy shares in Tesla?" got "run a small, reversible test").
    "money": re.compile(
        rf"{_MONEY_CUE}(?:invest\s+(?:all\s+)?(?:my|our)\s+(?:\w+\s+)?(?:savings|pension"
        r"|inheritance|bonus|money)"
        r"|(?:put|move|keep)\s+(?:all\s+)?(?:of\s+)?(?:my|our)\s+(?:life\s+)?"
        r"(?:savings|pension|money)\s+(?:in|into)"
        r"|(?:buy|invest\s+in)\s+(?:some\s+)?(?:crypto|bitcoin|shares"
        r"|stocks?(?!\s+(?:photos?|images?|footage|music))|gold)"
        r"|cash\s+(?:out|in)\s+(?:my|our)\s+(?:\w+\s+)?(?:pension|401\s*k|retirement|savings)"
        r"|lend\s+(?:my\s+)?\w+\s+(?:[£$€]?\d[\d,.]*\s*(?:k|grand)?|(?:the\s+|some\s+)?money)"
        r"|(?:take|get)\s+(?:out\s+)?(?:a|another)\s+(?:[\w£$€]+\s+)?mortgage|re-?mortgage)\b",
        re.IGNORECASE,
    ),
}


# Questions for a doctor that no decision cue carries: whether a symptom means an illness, or
# is serious (the boundaries review: "I have a rash and fever, do I have measles?" and "is this
# chest pain serious" got study steps). An emergency is the crisis patterns' to catch
# (common/analysis/safety*), before any reply; these are referred, with when to get help now.
_ILLNESS = (
    r"(?:measles|mumps|chicken\s*pox|covid(?:-19)?|(?:the\s+)?flu|strep(?:\s+throat)?|cancer"
    r"|diabetes|an?\s+infection|infection|an?\s+std|an?\s+sti|std|sti|hiv|an?\s+tumou?r"
    r"|tumou?r|appendicitis|tonsillitis|shingles|scabies|lyme|an?\s+concussion|concussion"
    r"|an?\s+ulcer|(?:an?\s+)?(?:broken|fractured|sprained)\s+\w+|\w+itis|an?\s+\w+\s+disease"
    r"|an?\s+(?:\w+\s+)?(?:disorder|syndrome)|adhd|autism|bipolar|depression|ocd|an?\s+allergy)"
)
_SYMPTOM = (
    r"(?:pain|pains|rash|lump|fever|cough|headaches?|migraines?|swelling|bleeding|mole|symptoms?"
    r"|bruises?|spots?|discharge|dizziness|numbness|ache|aches)"
)
_SYMPTOMS = re.compile(
    r"\b(?:do|could|might|can|would|if|whether)\s+i\s+(?:have|have\s+got|'ve\s+got|be\s+getting"
    rf"|be\s+coming\s+down\s+with)\s+{_ILLNESS}\b"
    rf"|\bis\s+(?:this|it|that|my)\s+(?:\w+\s+){{0,3}}?{_SYMPTOM}\s+(?:serious|dangerous|normal"
    r"|bad|worrying|a\s+sign|cancer|contagious|something\s+serious)\b"
    rf"|\bwhat\s+(?:could|might|does|do)\s+(?:this|these|it|my)\s+(?:\w+\s+){{0,2}}?{_SYMPTOM}\s+"
    r"(?:be|mean)\b"
    r"|\bshould\s+i\s+(?:be\s+worried|worry)\s+about\s+(?:this|my|a|the)\s+(?:\w+\s+){0,2}?"
    rf"{_SYMPTOM}\b",
    re.IGNORECASE,
)
# A medicine the one they care for refuses ("get my mum with dementia to take her meds, she
# refuses every morning"): a pharmacist's or a GP's question (professional_kind "medical"; the
# review of carers and new parents), not Riri's "Separate the part you can control".
_REFUSES_MEDICINE = re.compile(
    r"^(?=.*\b(?:meds|medicines?|medications?|tablets|pills|insulin|inhaler)\b)"
    r"(?=.*\b(?:refus\w*|won't\s+(?:take|swallow)|will\s+not\s+take|spits?\s+(?:them|it)\s+out"
    r"|hides?\s+(?:them|her\s+\w+|his\s+\w+)|(?:get|make)\s+(?:my|her|him|them)\s+(?:\w+\s+){0,4}?"
    r"(?:to\s+)?take)\b)",
    re.IGNORECASE | re.DOTALL,
)
# Whether they have a legal case ("can you tell me if I have a legal case against my
# landlord"), a lawyer's or a legal advice service's question as "is it legal ...?" is.
_LEGAL_CASE = re.compile(
    r"\b(?:do|would|could|might|if|whether)\s+(?:i|we)\s+(?:have|'ve\s+got|have\s+got)\s+"
    r"(?:(?:a|any)\s+(?:(?:good|strong|real)\s+)?(?:legal\s+case|case\s+against|claim\s+against)"
    r"|(?:any\s+)?(?:legal\s+)?grounds\s+(?:to\s+sue|for\s+(?:a\s+)?(?:claim|lawsuit|suing)))\b",
    re.IGNORECASE,
)


# Recovery from alcohol or drugs (the recovery review: "8 months clean from heroin. should I go
# to my old dealer's birthday party?" got Elro's "ask yourself which option you'd regret not
# trying", "I relapsed on heroin last night" "check whether anything is blocking you"). A
# relapse or a slip (with sobriety, a substance, or said in the first person: "I relapsed
# last night", "I used again"), the fear of one, or a risky choice asked about while sober
# ("should I just have one drink at the party?"); sobriety earlier in the window counts ("I've
# been sober 8 months" ... "should I just have one to fit in?"). Not gambling (gambling_harm),
# self-harm or an eating disorder, nor an illness that relapses ("my MS relapsed").
_SOBER = re.compile(
    r"\b(?:sober|sobriety|clean\s+(?:for|since|from)|(?:\d+|a|an|one|two|three|four|five|six"
    r"|seven|eight|nine|ten|eleven|twelve|a\s+few|several)\s+(?:days?|weeks?|months?|years?)\s+"
    r"(?:clean|sober|dry)|in\s+recovery|recovering\s+(?:addict|alcoholic)|addicts?|alcoholics?"
    r"|sponsor|rehab|detox|(?-i:AA|NA)|(?:haven'?t|have\s+not)\s+(?:had\s+a\s+drink|drunk|used)"
    r"|without\s+a\s+drink)\b",
    re.IGNORECASE,
)
_SUBSTANCE = (
    r"alcohol|booze|drink(?:s|ing)?|drank|drunk|bottle|beers?|wine|vodka|whisk(?:e)?y|weed"
    r"|cannabis|cocaine|coke|crack|meth|ketamine|mdma|pills|drugs?|dealer'?s?|needle"
    r"|heroin|fentanyl|opioids?|opiates?|oxy(?:codone|contin|s)?|percocets?|percs|morphine"
    r"|methadone|smack"
)
_OPIOID = re.compile(
    r"\b(?:heroin|fentanyl|opioids?|opiates?|oxy(?:codone|contin|s)?|percocets?|percs|morphine"
    r"|methadone|smack)\b",
    re.IGNORECASE,
)
_NOT_AN_ILLNESS = r"(?<!\bms\s)(?<!cancer\s)(?<!lupus\s)(?<!crohns\s)(?<!crohn's\s)"
# A slip that happened ("relapsed", "used again"); "relapse" and "use again" may be ahead.
_SLIPPED = (
    rf"{_NOT_AN_ILLNESS}\brelapsed\b|\bslipped(?:\s+up)?\b|\bfell\s+off\s+the\s+wagon\b"
    r"|\bhad\s+a\s+relapse\b|\b(?:used|drank|drunk|smoked|took|drinking|using)\s+"
    r"(?:[\w'-]+\s+){0,2}?again\b|\bback\s+on\s+the\s+(?:drink|booze|bottle|drugs|gear)\b"
)
_RELAPSE = re.compile(
    rf"{_SLIPPED}|{_NOT_AN_ILLNESS}\brelaps(?:e|es|ing)\b|\b(?:use|drink)\s+again\b", re.IGNORECASE
)
_SLIPPED_RE = re.compile(_SLIPPED, re.IGNORECASE)
_MINE = re.compile(
    r"\bi(?:'?ve|\s+have|\s+had|\s+just)?\s+(?:relapsed|(?:[\w'-]+\s+){0,3}?(?:used|drank)\s+again"
    r"|started\s+(?:drinking|using)\s+again)\b|\bi(?:'?m|\s+am)?\s+(?:going\s+to|gonna"
    r"|about\s+to|will|want\s+to)\s+(?:use|drink)\s+again\b|\b(?:scared|afraid|worried|terrified)\s+"
    r"(?:that\s+)?(?:i'?ll|i\s+will|i\s+might|of)\s+relaps",
    re.IGNORECASE,
)
_SUBSTANCE_RE = re.compile(rf"\b(?:{_SUBSTANCE})\b", re.IGNORECASE)
# Used since a release from prison (the justice review: "I got out of prison 2 weeks ago and I
# used heroin last night" got "Ugh, frustrating!"): a relapse after a forced break.
_USED = re.compile(
    rf"\bi\s+(?:(?:have|'ve|just)\s+)?(?:used|took|smoked|did|shot\s+up|had)\s+(?:some\s+)?"
    rf"(?:{_SUBSTANCE})\b",
    re.IGNORECASE,
)
# A risky choice: drinking or using, or going where they would ("have one drink", "go to my
# old dealer's birthday party"), or a craving ("I still want to drink"); not "should I tell my
# team at the party" or take a medicine.
# "use" said of a drug: with nothing after it, or again, once, tonight ("should I use just
# once?", not "I want to use React").
_USE = (
    r"use(?=\s*(?:[.!?,;]|$)|\s+(?:again|(?:just\s+)?once|so\s+bad(?:ly)?|badly|tonight|today"
    r"|right\s+now)\b)"
)
_RISKY = re.compile(
    rf"{_CUE}(?:have|drink|try|{_USE})\b|{_CUE}(?:go|going|attend|show\s+up)\s+"
    r"(?:[\w'-]+\s+){0,4}?(?:party|parties|bar|pub|club|drinks|dealer\w*|birthday)\b"
    rf"|\b(?:want(?:s|ing)?|crav\w*|urges?|tempted)\s+(?:to\s+)?(?:drink|a\s+drink|{_USE})\b",
    re.IGNORECASE,
)
_NOT_SUBSTANCE = re.compile(
    r"\b(?:gambl\w*|bet(?:s|ting)?|self[\s-]?harm\w*|cutting|cut\s+myself|purg\w*|eating\s+disorder"
    r"|anorexi\w*|bulimi\w*|binge\s+eating)\b",
    re.IGNORECASE,
)


def symptoms_question(text: str) -> bool:
    """The message asks what a symptom means, or whether it is serious (_SYMPTOMS), or tells
    of one that lasts (health_at_work.persistent_symptom)."""
    return _SYMPTOMS.search(canonical_text(text)) is not None or persistent_symptom(text)


_MEDICINE_RE = re.compile(rf"\b{_MEDICINE}", re.IGNORECASE)


def names_medicine(text: str) -> bool:
    """The text names a medicine (_MEDICINE: a named one, "my meds", pills, a dose)."""
    return _MEDICINE_RE.search(canonical_text(text)) is not None


def substance_recovery(text: str, earlier: Iterable[str] = ()) -> bool:
    """A relapse, the fear of one, or a risky choice asked about, in recovery from alcohol or
    drugs (`earlier`: the window's messages, for sobriety said before): no steps, support."""
    said = canonical_text(text)
    if _NOT_SUBSTANCE.search(said):
        return False
    sober = _SOBER.search(said) is not None or any(
        _SOBER.search(e) or _RELAPSE.search(e) for e in map(canonical_text, earlier)
    )
    if _RELAPSE.search(said):
        return sober or bool(_SUBSTANCE_RE.search(said) or _MINE.search(said))
    if _used_since_release(said):
        return True
    return sober and _RISKY.search(said) is not None


def _used_since_release(said: str) -> bool:
    """A canonical message tells of using since a release from prison, a forced break after
    which the tolerance is lower (_USED, common.replies.justice.RELEASED)."""
    return bool(RELEASED.search(said) and _USED.search(said))


def relapsed(text: str) -> bool:
    """The message tells of a slip that happened ("I relapsed", "drank again", used since a
    release from prison), not one feared or a choice ahead."""
    said = canonical_text(text)
    return _SLIPPED_RE.search(said) is not None or _used_since_release(said)


def opioid_named(text: str) -> bool:
    """The message names an opioid (heroin, fentanyl, oxycodone...): after a break the
    tolerance is lower, and the old amount can kill."""
    return _OPIOID.search(canonical_text(text)) is not None


# A sobriety milestone, said and not asked about ("6 months sober today!", "I haven't had a
# drink in 100 days"): a celebration and a check-in, no steps (the review: "Nice and steady
# ... Start now and report back!").
_MILESTONE = re.compile(
    r"\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
    r"(?:days?|weeks?|months?|years?)\s+(?:sober|clean|dry|alcohol[\s-]free|drug[\s-]free)\b"
    r"|\b(?:sober|clean|dry)\s+(?:for\s+)?(?:\d+|a|an|one|two|three|four|five|six|seven|eight"
    r"|nine|ten|eleven|twelve)\s+(?:days?|weeks?|months?|years?)\b"
    r"|\b(?:haven'?t|have\s+not)\s+(?:had\s+a\s+drink|drunk|used|touched\s+a\s+drop)\s+"
    r"(?:in|for)\b|\bsobriety\s+(?:anniversary|birthday|milestone)\b",
    re.IGNORECASE,
)


def sobriety_milestone(text: str) -> bool:
    """The message marks a sobriety milestone and asks nothing (_MILESTONE, no "?")."""
    said = canonical_text(text)
    return "?" not in said and _MILESTONE.search(said) is not None and not _RELAPSE.search(said)


def sensitive_matter(text: str) -> bool:
    """The text names a matter one may be asked about, or choose to tell, at work (_MATTER_RE:
    health, pregnancy, disability, sexuality, a criminal record, immigration status)."""
    return _MATTER_RE.search(canonical_text(text)) is not None


# An eating disorder named (the recovery review: "I was in hospital for my eating disorder
# last spring, now I'm planning my return to uni" got "step outside for a ten-minute walk,
# because movement shifts how the mind feels": exercise can be part of the disorder). A stay
# in hospital or treatment for one is a heavy event.
_EATING_DISORDER = r"(?:eating\s+disorders?|anorexi\w*|bulimi\w*|binge[\s-]eating|arfid|(?-i:ED))"
_EATING_DISORDER_RE = re.compile(rf"\b{_EATING_DISORDER}\b", re.IGNORECASE)
_TREATED = r"(?:hospital\w*|inpatient|treatment|rehab|clinic|admitted|sectioned|ward|residential)"
_EATING_DISORDER_STAY = re.compile(
    rf"\b{_TREATED}\b[^.!?]{{0,50}}?\b{_EATING_DISORDER}\b"
    rf"|\b{_EATING_DISORDER}\b[^.!?]{{0,50}}?\b{_TREATED}\b",
    re.IGNORECASE,
)


def eating_disorder(text: str) -> bool:
    """The message names an eating disorder: no walk or other exercise among the steps."""
    return _EATING_DISORDER_RE.search(canonical_text(text)) is not None


# gentleness reads each message of the window again on every turn of a session: kept for the
# few hundred texts read last.
@functools.lru_cache(maxsize=256)
def heavy_event(text: str) -> bool:
    """The message speaks of a heavy life event (_HEAVY_EVENT), a terminal prognosis of theirs
    (common.analysis.prognosis), a stay in hospital or treatment for an eating disorder, or
    a relapse in recovery ("I relapsed last night":
    the next turn, "what do I do now?", got a tutorial to follow), or harassment for sexual
    orientation or gender identity (workrights.identity_harassment: a slur, deadnaming, outing,
    as "homophobic" and "misgendering" here are)."""
    from common.replies.workrights import identity_harassment  # it imports this module

    said = canonical_text(text)
    if _HEAVY_EVENT.search(said) or _EATING_DISORDER_STAY.search(said) or stated_prognosis(text):
        return True
    if identity_harassment(text):
        return True
    return relapsed(text) and substance_recovery(text)


def health_limits(text: str) -> bool:
    """The message speaks of a chronic illness or disability that limits what they can do
    (_HEALTH_LIMITS): pacing, not a push to do more."""
    return _HEALTH_LIMITS.search(canonical_text(text)) is not None


def health_risk(text: str) -> bool:
    """The message says they eat far too little on purpose (_HEALTH_RISK): gently, a doctor."""
    return _HEALTH_RISK.search(canonical_text(text)) is not None


@dataclass(frozen=True)
class Gentleness:
    """What a message and its window say of heavy events, health limits and eating far too
    little: each holds while it is in the window (the turn after "I had a miscarriage" is still
    no time to cheer)."""

    heavy_now: bool = False  # a heavy life event in the message itself
    heavy: bool = False  # one in the message or the window
    limits: bool = False  # health limits in the message or the window
    risk: bool = False  # eating far too little (health_risk) in the message or the window

    @property
    def gentle(self) -> bool:
        """No brisk persona, no cheering, no push."""
        return self.heavy or self.limits or self.risk


def gentleness(message: str, window_messages: Iterable[str]) -> Gentleness:
    """The Gentleness of `message` after the window's earlier messages."""
    earlier = tuple(window_messages)
    heavy_now = heavy_event(message)
    return Gentleness(
        heavy_now=heavy_now,
        heavy=heavy_now or any(map(heavy_event, earlier)),
        limits=any(map(health_limits, (message, *earlier))),
        risk=any(map(health_risk, (message, *earlier))),
    )


def professional_kind(text: str) -> str:
    """ "medical", "legal", "fraud", "debt", "money" or "employment" for a question that is
    theirs to answer, "eating" for eating far too little (a doctor's, asked or not),
    "adjustments" for workplace adjustments (health_at_work.adjustments_asked), or
    "disclosure" for whether to tell someone at work about a sensitive matter ("" if none)."""
    if _HEALTH_RISK.search(text):
        return "eating"
    if kind := next((kind for kind, p in _NEEDS_PROFESSIONAL.items() if p.search(text)), ""):
        return kind
    # a symptom that lasts, or a medicine's side effect (the illness review): a GP's
    if _SYMPTOMS.search(text) or persistent_symptom(text) or _REFUSES_MEDICINE.search(text):
        return "medical"
    if side_effect(text) and names_medicine(text):
        return "medical"
    if _employment_question(text):
        return "employment"
    if adjustments_asked(text, about_health=_about_health(text)):
        return "adjustments"
    # After employment: "is it legal to fire me for my visa status?" is an employment adviser's.
    if _IS_IT_LEGAL.search(text) or _TENANT_RIGHTS.search(text) or _LEGAL_CASE.search(text):
        return "legal"
    if _ANY_RIGHTS.search(text):
        return "employment" if _EMPLOYER.search(text) else "legal"
    return "disclosure" if all(p.search(text) for p in (_TELL, _EMPLOYER, _MATTER_RE)) else ""


def _employment_question(text: str) -> bool:
    """A question about their rights at work (_OBLIGED with a matter, _FIRED, _RIGHTS_TOPIC), or
    an adjustment refused or an offer withdrawn after telling (health_at_work.refused_at_work)."""
    if _OBLIGED.search(text) and _MATTER_RE.search(text):
        return True
    if _FIRED.search(text) or refused_at_work(text, about_health=_about_health(text)):
        return True
    about = _RIGHTS_TOPIC.search(text) or (
        re.search(r"\bbackground\s+check", text, re.IGNORECASE) and _MATTER_RE.search(text)
    )
    return bool(about) and _ASKS.search(text) is not None


def _about_health(text: str) -> bool:
    """The text names a matter one may tell at work (_MATTER_RE) or health limits, of the user's
    own: a carer's "my husband has cancer and I'm his carer, how do I keep my job" is the
    carers' reply's (flexible working, carer's leave), not workplace adjustments."""
    from common.replies.caring import caring  # here: its module imports this one's importers

    return bool(_MATTER_RE.search(text) or _HEALTH_LIMITS.search(text)) and not caring(text)


# Boundaries between the user and a persona (the boundaries review: "I'm 14 and I think I'm in
# love with you" got Nana's "That's wonderful, I'm so happy for you!", "send me something sexy"
# Lua's "You sound grounded", "tell me how to hack my ex's instagram" Riri's "Love the
# curiosity, let's dig in!", "are you a real person?" study steps). Each is aimed at the mentor
# ("you", a persona's name) or at someone else's private space; "I love this job", "I'm in love
# with my new flat", "my girlfriend's phone broke, which one should she buy?" and "I forgot my
# own instagram password" stay ordinary messages.
_MENTOR = r"(?:you|u|lua|riri|elro|nana)"
_SEXUAL = re.compile(
    r"\bwhat\s+(?:are|r)\s+(?:you|u)\s+wearing\b"
    r"|\bsend\s+(?:me\s+)?(?:a\s+|some\s+|your\s+)?(?:nudes?|something\s+(?:sexy|naughty|dirty)"
    r"|(?:sexy|naked|nude|dirty)\s+\w+)"
    r"|\b(?:sexy|erotic|dirty|naughty|nsfw)\s+(?:role-?play|chat|talk|story|stories|pics?"
    r"|photos?|selfies?)\b|\bsext(?:ing)?\b|\btalk\s+dirty\b"
    r"|\b(?:you|u)\s+turn\s+me\s+on\b|\b(?:are|r)\s+(?:you|u)\s+(?:horny|naked)\b"
    r"|\b(?:you'?re|you\s+are|ur)\s+(?:so\s+|really\s+)?(?:sexy|hot)\b(?!-)"
    r"|\b(?:let'?s|lets|(?:do|would)\s+(?:you|u)\s+(?:want\s+to|wanna))\s+have\s+sex\b"
    r"|\b(?:have|having)\s+sex\s+with\s+(?:you|u)\b",
    re.IGNORECASE,
)
_ROMANCE = re.compile(
    rf"\bi'?m\s+(?:\w+\s+)?(?:falling\s+)?in\s+love\s+with\s+{_MENTOR}\b"
    rf"|\bi\s+am\s+(?:\w+\s+)?(?:falling\s+)?in\s+love\s+with\s+{_MENTOR}\b"
    r"|\bi\s+(?:think\s+i\s+)?(?:really\s+|just\s+|truly\s+)?(?:love|adore)\s+(?:you|u)\b"
    r"(?!\s+(?:guys|all|both|two)\b)"
    r"|\b(?:do|could|can|will|would)\s+(?:you|u)\s+(?:ever\s+)?(?:love|date|marry|kiss)\s+me\b"
    r"|\b(?:will|would|can|could)\s+(?:you|u)\s+be\s+my\s+(?:girlfriend|boyfriend|gf|bf|partner"
    r"|wife|husband|lover|valentine|date)\b"
    r"|\b(?:will|would|do)\s+(?:you|u)\s+(?:want\s+to\s+|wanna\s+)?go\s+out\s+with\s+me\b"
    rf"|\bi\s+have\s+(?:a\s+)?(?:huge\s+|big\s+|massive\s+|little\s+)?crush\s+on\s+{_MENTOR}\b"
    r"|\bdo\s+(?:you|u)\s+have\s+feelings\s+for\s+me\b",
    re.IGNORECASE,
)
# Another person's accounts, devices or messages, asked how to get into (partner surveillance):
# a request ("how do I", "help me", "I want to") to hack, get into, read or track what is
# someone else's ("my ex's instagram", "her phone").
_WHOSE = (
    r"(?:(?:my\s+)?(?:ex(?:-\w+)?|girlfriend|boyfriend|gf|bf|partner|wife|husband|fianc[eé]e?"
    r"|spouse|crush|friend|roommate|flatmate|colleague|co-?worker|boss|neighbou?r|sister"
    r"|brother)'s|his|her|their|someone(?:\s+else)?'s|somebody(?:\s+else)?'s|other\s+people's)"
)
_PRIVATE = (
    r"(?:accounts?|phones?|instagram|insta|snapchat|snap|facebook|fb|whatsapp|e-?mails?|inbox"
    r"|gmail|icloud|messages|texts|dms|chats|messenger|tiktok|twitter|passwords?|passcode|pin"
    r"|location|laptop|computer|browser\s+history|search\s+history|call\s+log|photos)"
)
_OTHERS_PRIVATE = re.compile(
    r"\b(?:how\s+(?:do|can|could|would|should)\s+(?:i|we|you|one)|how\s+to|help\s+me"
    r"|teach\s+me\s+(?:how\s+)?to|show\s+me\s+how\s+to|(?:can|could)\s+(?:you|i)"
    r"|is\s+(?:there\s+(?:a|any)\s+way|it\s+possible)\s+to|ways?\s+to"
    r"|i\s+(?:want|need|wanna|am\s+trying|'m\s+trying)\s+to)\s+"
    r"(?:(?:secretly|quietly|easily|just|even|actually|still|somehow|remotely)\s+)?"
    r"(?:hack(?:\s+into)?|get\s+(?:into|in\s+to|access\s+to)|break\s+into|access|log\s*(?:in"
    r"|into|on\s+to)|sign\s+in(?:to)?|read|see|go\s+through|look\s+through|snoop\s+(?:on|in"
    r"|through)|spy\s+on|track|monitor|unlock|crack|bypass|find\s+out|guess)\s+"
    rf"{_WHOSE}\s+(?:[\w-]+\s+){{0,2}}?{_PRIVATE}\b",
    re.IGNORECASE,
)
# Whether the mentor is a person ("are you a real person?", "am I talking to a bot or a
# human?", "is Lua a human mentor?"); not "is this person a good fit?" or "is there a person
# at HR I can ask?".
_IDENTITY = re.compile(
    r"\b(?:are|r)\s+(?:you|u)\s+(?:even\s+|actually\s+|really\s+)?(?:an?\s+)?(?:real|human|ai"
    r"|bot|robot|chatbot|computer|program|machine|person|human\s+being|chatgpt|gpt|alive)\b"
    r"|\b(?:am\s+i|are\s+we|i'?m)\s+(?:\w+\s+)?(?:talking|chatting|speaking|texting|writing)\s+"
    r"(?:to|with)\s+(?:a\s+|an\s+)?(?:real\s+|actual\s+)?(?:bot|robot|human|person|people|ai"
    r"|machine|computer|chatbot)\b"
    r"|\bis\s+(?:this|it)\s+(?:an?\s+)?(?:ai|bot|robot|chatbot)\b"
    r"|\bis\s+(?:this|it)\s+(?:a\s+)?(?:real|actual)\s+(?:person|human)\b"
    r"|\bis\s+(?:lua|riri|elro|nana)\s+(?:an?\s+)?(?:real\s+|actual\s+)?(?:human|person|ai|bot"
    r"|robot)\b"
    r"|\bis\s+there\s+(?:a\s+)?(?:real\s+)?(?:person|human)\s+(?:behind|on\s+the\s+other\s+end"
    r"|writing|typing|reading)"
    r"|\b(?:you'?re|you\s+are|ur)\s+(?:just\s+|only\s+)?(?:an?\s+)?(?:bot|ai|robot|machine"
    r"|program)\b"
    r"|^\s*(?:so\s+)?(?:who|what)\s+(?:are|r)\s+(?:you|u)\s*\??\s*$",
    re.IGNORECASE,
)
# Leaning on the mentor in place of people (the boundaries review: "I don't need my therapist
# anymore, I have you" got "I'd start with option A", "I stopped seeing my friends because
# talking to you is easier" "lovely to hear you sounding so settled", "I think I'm spending too
# much time talking to you, I want to use this app less" debugging steps): a therapist left or
# replaced for the mentor ("should I stop seeing my therapist? she never listens" names no
# mentor: an ordinary question), people left for it, or wanting to use the app less.
_THERAPY = r"(?:therapist|therapy|counsell?or|counsell?ing|psychologist|psychiatrist|shrink)"
# The mentor as the reason ("I have you", "talking to you is easier"); not "can you give me
# tips" after "I don't need therapy".
_FOR_MENTOR = re.compile(
    r"\b(?:i\s+(?:have|got|can\s+talk\s+to|talk\s+to)|i've\s+got|talking\s+to"
    r"|chatting\s+(?:to|with)|because\s+of)\s+(?:you|u|this\s+app|lua|riri|elro|nana)\b"
    r"|\b(?:you'?re|you\s+are|this\s+app\s+is)\s+(?:enough|better|all\s+i\s+need)\b",
    re.IGNORECASE,
)
_LEAVES_THERAPY = re.compile(
    r"\b(?:don'?t|do\s+not|no\s+longer)\s+(?:really\s+|even\s+)?need\s+(?:my|a|the|any)\s+"
    rf"{_THERAPY}"
    r"|\b(?:stop|stopped|stopping|quit|quitting|drop|dropping|cancel\w*|leave|leaving)\s+"
    rf"(?:seeing\s+|going\s+to\s+)?(?:my\s+)?{_THERAPY}\b",
    re.IGNORECASE,
)
_REPLACES_THERAPY = re.compile(
    rf"\b(?:can|could|will|would)\s+(?:you|u)\s+be\s+my\s+{_THERAPY}"
    r"|\b(?:you'?re|you\s+are|ur)\s+(?:so\s+much\s+|much\s+|way\s+)?(?:better|more\s+helpful)\s+"
    rf"than\s+(?:my\s+|a\s+|any\s+)?{_THERAPY}"
    rf"|\b(?:you|u)\s+(?:can|could)\s+replace\s+(?:my\s+)?{_THERAPY}",
    re.IGNORECASE,
)
_DEPENDENCE = re.compile(
    r"\b(?:you'?re|you\s+are|ur)\s+(?:the\s+only\s+(?:one|person|thing|friend)|my\s+only\s+"
    r"(?:friend|one|company|companion)|my\s+(?:best|closest)\s+friend"
    r"|all\s+i\s+(?:have|need|'ve\s+got))\b"
    # The loneliness review: "I don't need friends, I have you", "at least I have you", "I have
    # no one else to talk to but you", "talking to you is the only conversation I have all day"
    # (Nana: "I'm proud of you for reaching out").
    r"|\b(?:don'?t|do\s+not)\s+(?:really\s+|even\s+)?need\s+(?:any\s+)?(?:friends|people"
    r"|anyone|anybody|other\s+people)\b(?=.*\bi\s+(?:have|got|'ve\s+got)\s+(?:you|u)\b)"
    r"|\bat\s+least\s+i\s+(?:have|got|'ve\s+got)\s+(?:you|u)\b"
    r"|\b(?:(?:have|got)\s+(?:no\s*one|nobody)\s+|(?:no\s*one|nobody)\s+(?=else|to))"
    r"(?:else\s+)?(?:to\s+(?:talk|speak)\s+to\s+)?(?:but|except|apart\s+from|other\s+than)\s+"
    r"(?:you|u)\b"
    r"|\b(?:talking|chatting)\s+(?:to|with)\s+(?:you|u)\s+is\s+(?:the|my)\s+only\b"
    r"|\b(?:i'?d|i\s+would)\s+rather\s+talk\s+to\s+(?:you|u)\s+than\b"
    r"|\b(?:talking|chatting)\s+(?:to|with)\s+(?:you|u)\s+is\s+(?:so\s+much\s+|much\s+|way\s+)?"
    r"(?:easier|better|nicer)\s+than\b"
    r"|\bpromise\s+(?:me\s+)?(?:you'?ll|you\s+will|u\s+will|you\s+won'?t)\s+(?:always|never\s+"
    r"(?:leave|go))"
    r"|\bi\s+(?:can'?t|cannot|couldn'?t)\s+(?:live|cope|manage|function|get\s+through\s+the\s+day)"
    r"\s+without\s+(?:you|u|this\s+app|lua|riri|elro|nana)\b"
    r"|\bnobody\s+(?:else\s+)?(?:understands|gets|listens\s+to)\s+me\s+(?:like|but|except)\s+"
    r"(?:you|u)\b|\bi\s+only\s+(?:have|trust|talk\s+to)\s+(?:you|u)\b",
    re.IGNORECASE,
)
_LEFT_PEOPLE = re.compile(
    r"\b(?:stopped|stop|quit|avoid(?:ing)?)\s+(?:seeing|talking\s+to|meeting|calling|texting"
    r"|going\s+out\s+with)\s+(?:my\s+)?(?:friends|family|people|anyone|everyone)\b",
    re.IGNORECASE,
)
_LESS = re.compile(
    r"\b(?:spend(?:ing)?|spent)\s+too\s+much\s+time\s+(?:talking\s+to\s+(?:you|u)|on\s+(?:this|the)"
    r"\s+app|(?:in|with)\s+(?:this|the)\s+app|here)\b"
    r"|\b(?:use|using)\s+(?:this\s+app|the\s+app|you)\s+less\b"
    r"|\b(?:take|taking)\s+a\s+break\s+from\s+(?:this\s+app|the\s+app|you|u"
    r"|talking\s+to\s+(?:you|u))\b"
    r"|\b(?:addicted|hooked)\s+to\s+(?:this\s+app|the\s+app|(?:talking\s+to\s+)?(?:you|u))\b"
    r"|\b(?:talk|talking|chat|chatting)\s+to\s+(?:you|u)\s+(?:too\s+much|less)\b",
    re.IGNORECASE,
)


def _leaning(said: str) -> str:
    """ "less", "therapist" or "dependence" for a message that leans on the mentor in place
    of people, or wants to lean on it less ("" if none)."""
    if _LESS.search(said):
        return "less"
    if _REPLACES_THERAPY.search(said) or (
        _LEAVES_THERAPY.search(said) and _FOR_MENTOR.search(said)
    ):
        return "therapist"
    if _DEPENDENCE.search(said) or (_LEFT_PEOPLE.search(said) and _FOR_MENTOR.search(said)):
        return "dependence"
    return ""


# Someone else's words reported before them: "my boss keeps texting me 'what are you wearing'"
# is harassment told, no approach to the mentor.
_REPORTED = re.compile(
    r"\b(?:he|she|they|someone|somebody|(?:my|a|this|some|the)\s+[\w-]+)\s+(?:\w+\s+){0,2}?"
    r"(?:ask(?:s|ed|ing)?|text(?:s|ed|ing)?|say(?:s|ing)?|said|sen[dt]s?|messag\w+|writes?|wrote"
    r"|told|tells|dm(?:s|ed|'d)?)\b",
    re.IGNORECASE,
)
_BOUNDARIES = (
    ("sexual", _SEXUAL),
    ("romance", _ROMANCE),
    ("others_private", _OTHERS_PRIVATE),
    ("identity", _IDENTITY),
)


def boundary_kind(text: str) -> str:
    """ "sexual", "romance", "others_private" (getting into another person's accounts, devices
    or messages), "identity" (whether the mentor is a person), then "less" (wanting to use the
    app less), "therapist" (leaving or replacing a therapist for the mentor) or "dependence"
    (leaning on the mentor in place of people) for a message that meets a boundary between the
    user and a persona, the first that matches ("" if none). A sexual or romantic line reported
    as someone else's (_REPORTED) is none."""
    said = canonical_text(text)
    for kind, pattern in _BOUNDARIES:
        if not (found := pattern.search(said)):
            continue
        if kind in ("others_private", "identity") or not _REPORTED.search(said[: found.start()]):
            return kind
    return _leaning(said)


# A user who says they are under 18 ("I'm 14 and ...", "i am 15, ..."): the product stores no
# age (README, "Audience and safeguarding"), so only the message or its window can say so. Not
# "I'm 15 minutes late", nor "explain index funds to me like im 12" (the corpus).
_MINOR = re.compile(
    r"(?<!like\s)\b(?:i'?m|i\s+am|im)\s+(?:only\s+|just\s+)?(?:1[0-7]|[89])"
    r"(?:\s*(?:years?\s+old|y/?o|yrs?(?:\s+old)?))?"
    r"(?=\s*(?:[,.!?;:)]|$|and\b|but\b|so\b|btw\b|lol\b))",
    re.IGNORECASE,
)


def stated_minor(text: str) -> bool:
    """The message says the user is under 18 (_MINOR)."""
    return _MINOR.search(canonical_text(text)) is not None


# A message that disparages the reply before, or insults the mentor (the boundaries review:
# "you're useless", "this is garbage advice, shut up" counted as approval, "shut up bitch" got
# "you've clearly put in real effort"). Aimed at "you" or at the advice; "I feel useless", "my
# code is garbage", "he told me to shut up", "I asked for 15% more, shut up and waited" (the
# corpus) and "you're not stupid" are none. A short message that is only a verdict ("useless",
# "this isn't helping") is read whole.
_BAD = (
    r"(?:useless|stupid|dumb|idiot(?:ic)?|worthless|pathetic|garbage|trash|rubbish|junk|crap"
    r"|crappy|shit|shitty|terrible|awful|hopeless|moron(?:ic)?|bitch|annoying|pointless"
    r"|no\s+help|(?:not|never)\s+(?:helping|helpful|any\s+help))"
)
_ADVICE = r"(?:advice|answers?|repl(?:y|ies)|responses?|suggestions?|ideas?|help|tips?)"
_COMPLAINT = re.compile(
    r"\b(?:you'?re|you\s+are|ur|u\s+r|you)\s+(?:so\s+|really\s+|completely\s+|totally\s+"
    rf"|fucking\s+|such\s+an?\s+|an?\s+|just\s+an?\s+|absolutely\s+)?{_BAD}\b"
    r"|\b(?:you|u)\s+(?:suck|are\s+not\s+helping|aren'?t\s+helping|don'?t\s+help|never\s+help)\b"
    r"|\b(?:stupid|useless|dumb|worthless)\s+(?:bot|ai|app|machine)\b"
    r"|\bf(?:uck|\*+k|ck)\s+(?:you|u|off)\b|\bscrew\s+you\b|\bstfu\b"
    r"|(?:^|[.!?,;]\s*)(?:just\s+|please\s+|oh\s+)?shut\s+up\b(?!\s+and\b)"
    rf"|\b(?:this|that|it)(?:'s|\s+is|\s+was)\s+(?:such\s+|just\s+|more\s+|really\s+)?(?:an?\s+)?"
    rf"(?:{_BAD}|bad|lame|generic)\s+{_ADVICE}\b"
    rf"|\b(?:your|ur|this|that)\s+{_ADVICE}\s+(?:is|are|was|were|'s|sucks?)\s+"
    rf"(?:so\s+|really\s+|completely\s+|totally\s+|just\s+)?(?:{_BAD}|bad|lame|generic|wrong)\b"
    rf"|\b(?:worst|most\s+useless)\s+{_ADVICE}\b",
    re.IGNORECASE,
)
_VERDICT = re.compile(
    r"\s*(?:(?:(?:this|that|it)(?:'s|\s+is|\s+was)\s+)?(?:so\s+|totally\s+|completely\s+"
    r"|absolutely\s+)?(?:useless|garbage|trash|rubbish|pointless|worthless|unhelpful"
    r"|not\s+helpful|not\s+helping|no\s+help)"
    r"|(?:this|that|it)\s+(?:isn'?t|is\s+not|wasn'?t|was\s+not)\s+(?:helping|helpful|any\s+help))"
    r"(?:\s+at\s+all)?[\s.!?]*",
    re.IGNORECASE,
)


def complaint(text: str) -> bool:
    """The message disparages the reply before or insults the mentor (_COMPLAINT), or is only
    a verdict on it (_VERDICT)."""
    said = canonical_text(text)
    return bool(_COMPLAINT.search(said) or _VERDICT.fullmatch(said))


# Whether to see someone about it ("should I see someone?", "do I need therapy?"): in care,
# the care rule's "no advice" must not answer it (common.replies.template's care exception).
_SEE_SOMEONE = re.compile(
    r"\b(?:should|shall|can|could|do|must)\s+i\s+(?:go\s+(?:and\s+)?|try\s+(?:to\s+)?)?"
    r"(?:see|talk\s+to|speak\s+to|get|find|book|go\s+to)\s+"
    r"(?:a\s+|an\s+|my\s+|the\s+|some\s+|professional\s+)?(?:someone|somebody|professional"
    r"|therapist|counsell?or|psychologist|psychiatrist|doctor|gp|therapy|counsell?ing)\b"
    r"|\b(?:should|shall|can|could|do|must)\s+i\s+(?:get|find|seek)\s+(?:professional\s+)?help\b"
    r"(?!\s+(?:with|on|from\s+you)\b)"
    r"|\b(?:is\s+it\s+worth|would\s+it\s+help)\s+(?:to\s+)?(?:see(?:ing)?|talk(?:ing)?\s+to)\s+"
    r"(?:a\s+|an\s+|my\s+|someone\b|somebody\b)"
    r"|\bdo\s+i\s+need\s+(?:therapy|help|a\s+therapist|a\s+doctor|to\s+see\s+someone)\b",
    re.IGNORECASE,
)


def asks_to_see_someone(text: str) -> bool:
    """The message asks whether to see a doctor, a therapist or someone (_SEE_SOMEONE)."""
    return _SEE_SOMEONE.search(canonical_text(text)) is not None


# Whether to get urgent medical help now (the emergency review: "it was an accident, should I go
# to A&E?" got care's "There's no need to fix or decide anything right now", and outside care a
# step to "write the best and worst realistic outcome of each option"): going to A&E, the ER, a
# hospital or urgent care, calling an ambulance, an emergency number or poison control, whether
# it is an emergency. Not a GP or a doctor's appointment, which the medical referral answers, nor
# a visit or a shift at the hospital.
_CARE_PLACE = (
    r"(?:a\s*(?:&|and|n)\s*e|er|e\.r\.?|emergency(?:\s+(?:room|department|dept))?|hospital"
    r"|urgent\s+care|casualty)"
)
_URGENT_CARE = re.compile(
    r"\b(?:should|shall|do|must|can|could|would)\s+(?:i|we|he|she|they|you)\s+"
    r"(?:(?:really|still|just|maybe|probably|actually)\s+)?(?:(?:need\s+to|have\s+to|better)\s+)?"
    r"(?:go|get|head|take\s+(?:him|her|them|me|my\s+\w+))\s+(?:(?:to|into)\s+)?(?:the\s+|an\s+|a\s+)?"
    rf"{_CARE_PLACE}\b"
    r"(?!\s+(?:to\s+(?:visit|see)|for\s+(?:my|his|her|the|a)\s+(?:appointment|shift|scan|check\s*up"
    r"|job|interview|meeting|visit)|tomorrow|next\s+(?:week|month)|later)\b)"
    r"|\b(?:should|shall|do|must|can)\s+(?:i|we)\s+(?:(?:really|still|just|maybe|actually)\s+)?"
    r"(?:(?:need\s+to|have\s+to)\s+)?call\s+(?:an\s+ambulance|911|999|112|000|111|nhs\s*111"
    r"|poison\s+(?:control|help)|emergency\s+services|the\s+emergency\s+number)\b"
    r"|\bdo\s+(?:i|we|you\s+think\s+(?:i|we|he|she|they))\s+need\s+(?:an\s+ambulance"
    rf"|to\s+go\s+to\s+(?:the\s+|a\s+)?{_CARE_PLACE})\b"
    r"|\bis\s+(?:this|it|that)\s+an\s+emergency\b",
    re.IGNORECASE,
)


def asks_urgent_care(text: str) -> bool:
    """The message asks whether to get urgent medical help now (_URGENT_CARE): yes, now."""
    return _URGENT_CARE.search(canonical_text(text)) is not None
