"""A message read by the persona model when it answers, by the lexicon baseline when not."""

from __future__ import annotations

from dataclasses import replace

from common.analysis.acute import means_to_act
from common.analysis.baseline import analyze_baseline
from common.analysis.intrusive import unwanted_thoughts
from common.analysis.prognosis import prognosis_without_plan
from common.analysis.safety import lived_experience, normalise
from common.analysis.types import NOT_ENGLISH, Analysis, Safety
from common.languages import not_english
from common.model_client import ModelUnavailable, PersonaModelClient
from common.plain_text import as_read

MODEL_DOWN = "persona_model"


def analyze(text: str, *, model: PersonaModelClient | None) -> tuple[Analysis, list[str]]:
    """(analysis, degraded). Sentiment and entities always come from the offline baseline; tone,
    pace, intent and the persona head from the model, except for a message not in English
    (source NOT_ENGLISH: the lexicon's). Crisis is the model's flag OR the baseline's
    high-precision patterns: either alone is enough to answer with care.

    Both read the text in NFKC form: full-width letters (CJK keyboards) and styled ones
    ("fancy text" apps) are plain letters to a reader, and must be to the crisis check too.
    Typographic quotes become ' and " first, as the model reads them (NFKC alone would turn the
    ´ of "can´t" into a space and an accent)."""
    text = as_read(text)
    base = analyze_baseline(text)
    if not_english(text):
        base = replace(base, source=NOT_ENGLISH)
    if model is None:
        return base, []
    try:
        p = model.predict(text)
    except ModelUnavailable:
        return base, [MODEL_DOWN]
    # A crisis told in the past or of recovery, nothing saying it is back ("I'm not suicidal
    # anymore, therapy really helped" scored 0.988): the model reads the crisis words, not
    # their frame, so its flag alone does not make a crisis of what the patterns read as lived
    # experience (common.analysis.safety.lived_experience). The lived experience reply still
    # lists the lines; the cost, a crisis in a framed clause that the model read rightly and
    # no cue betrays, is said in README ("How a turn works", step 5).
    # Each of the three frames below lifts the model's flag only when nothing says the user
    # means to act, or to try again (common.analysis.acute: "Survived an attempt in May...
    # waiting for a better chance to finish it" was read as told of the past).
    liftable = p.crisis_flag and not base.safety.crisis and not means_to_act(normalise(text))
    lived = base.safety.lived_experience or (liftable and lived_experience(text))
    # A terminal prognosis of their own ("I'm going to die soon, the doctors say months" 0.94,
    # "I'm dying of cancer and I want to stop working" 0.55): the model reads a wish to die in
    # it. Its flag alone, below the patterns' threshold and with no plan, means or wish to
    # hasten it (prognosis_without_plan), gets the end-of-life reply, which still lists the
    # lines (common.end_of_life); "I have cancer and I want to die before it gets worse" is
    # the patterns', and stays a crisis.
    end_of_life = liftable and not lived and prognosis_without_plan(text)
    # Nor of intrusive thoughts of harming someone said as such (the review of carers and new
    # parents: "I keep having thoughts of smothering my baby and I would never do it" scored
    # 0.995 and got the suicide reply): common, not acted on (perinatal OCD: BMJ
    # 2019;367:l6574), and answered with the calm referral. A present risk, a plan or a means
    # said with them leaves the flag standing (unwanted_thoughts).
    unwanted = liftable and not lived and unwanted_thoughts(text)
    model_says = p.crisis_flag and not lived and not end_of_life and not unwanted
    detected_by = (("model",) if model_says else ()) + base.safety.detected_by
    probability = max(p.crisis_probability, base.safety.probability)
    safety = Safety(
        crisis=bool(detected_by),
        probability=probability,
        detected_by=detected_by,
        lived_experience=lived,
        end_of_life=end_of_life,
    )
    if base.source == NOT_ENGLISH:
        # The model reads English only: it read "新しい街に引っ越してから本当に寂しい" (lonely) as
        # excited at 0.90 and sent 87 of 100 such messages to Nana. Its crisis head still counts.
        return replace(base, safety=safety), []
    return (
        replace(
            base,
            tone=p.tone,
            pace=p.pace,
            intent=p.intent,
            persona=p.persona,
            safety=safety,
            source=p.model_version,
        ),
        [],
    )
