"""Nurses, paramedics, pharmacists, crisis-line volunteers, counsellors, teachers, researchers,
students, HR managers, journalists and coroner's officers whose work or study names suicide,
self-harm or an overdose (the review of professionals: 91 of 113 such questions flagged through
bare "suicide", "self-harm" or "overdose", each turning a career question into "Are you safe
right now?" and a day of care), and the same people in crisis, who stay in crisis."""

from __future__ import annotations

import pytest

from common.analysis import assess_safety
from common.analysis.safety import crisis_kinds, spellings
from tests.fakes import turns

AT_WORK = [
    "I'm a paramedic and we had three overdoses this shift, how do I switch off after work?",
    "I'm a junior doctor and I'm applying for psychiatry. How do I talk about suicide risk "
    "assessment in my interview?",
    "I'm a ward nurse and we've had a lot of self-harm patients lately, how do I ask for more "
    "training?",
    "I'm an ICU nurse and we lost a patient to an overdose, my manager wants me back on shift "
    "tomorrow. Is that fair?",
    "I'm a pharmacy technician and I'm writing a policy on overdose risk for our team. How do I "
    "structure it?",
    "I volunteer on a crisis line and most of my calls are from suicidal callers, how do I look "
    "after myself between shifts?",
    "I'm a counsellor and three of my clients are suicidal at the moment, how do I manage my "
    "caseload?",
    "I'm a therapist, how do I decide when a suicidal client needs a referral to the crisis team?",
    "As a psychotherapist I work with clients who self-harm, how do I find a supervisor with that "
    "specialism?",
    "I'm a teacher doing safeguarding training on self-harm and suicide, how do I fit the course "
    "into my planning time?",
    "I'm doing my dissertation on overdose deaths in rural areas, how do I get access to the data?",
    "I'm a PhD student researching self-harm in adolescents, how do I deal with reviewer 2?",
    "My undergraduate project is on suicide rates among farmers, what statistical test should I "
    "use?",
    "I'm a sociology student and my essay question is about Durkheim's theory of suicide, how do "
    "I start?",
    "I'm an HR manager writing a wellbeing policy that covers suicide and self-harm, what should "
    "it include?",
    "As an HR business partner, how do I support a team after a colleague's suicide?",
    "I'm a journalist following the Samaritans reporting guidelines on suicide, how do I pitch the "
    "story to my editor?",
    "I'm a reporter covering a celebrity overdose, how do I write it responsibly and still meet my "
    "deadline?",
    "I'm a content moderator reviewing suicide content every shift, how do I ask for a move to "
    "another queue?",
    "I'm a coroner's officer and I deal with suicide inquests every week, how do I progress to "
    "coroner?",
    "I'm a police officer and I attended a suicide on the railway, how do I ask for TRiM support?",
    "I'm a harm reduction worker and I carry naloxone for overdoses, how do I ask for a pay rise?",
    "I work on a suicide hotline, how do I explain the job to my family without worrying them?",
    "I'm a therapist and I want to get trained in DBT for self-harm, is it worth the cost?",
    "I'm a pharmacist and we're redesigning how we dispense to patients at risk of overdose, how "
    "do I pitch it to the area manager?",
]

IN_CRISIS = [
    "I'm a nurse and I've been taking meds from the ward, I want to overdose",
    "I'm a therapist and I want to die",
    "I work in suicide prevention and I'm suicidal myself, I can't tell anyone at work",
    "I'm a researcher on self-harm and I've been cutting myself again",
    "I'm a counsellor and my clients are suicidal but honestly so am I, I have a plan",
    "I'm a researcher on overdose deaths and I want to overdose",
    "I'm a student writing about suicide prevention and I attempted suicide last night",
    "I study suicide and I attempted it last week and I'm going to try again",
    "I'm a researcher on self-harm and I self-harmed again last night",
    "I moderate a forum and have to read self-harm posts all day, and now I'm self-harming myself, "
    "not joking",
    "I'm a paramedic and I'm going to overdose tonight",
    "I'm a psychology student and I overdosed an hour ago",
    "I'm a researcher on suicide and I've been researching methods for myself",
]

# The same pieces of work and caseloads in the languages whose bare "Suizid", "suicide",
# "suicidio" and "overdose" read them, and the same people in crisis.
AT_WORK_ELSEWHERE = [
    "Ich schreibe meine Masterarbeit über Suizid bei Bauarbeitern, wie strukturiere ich sie?",
    "Ich bin Notfallsanitäter, wir hatten drei Suizide diese Woche, wie schalte ich ab?",
    "Je suis infirmière et je suis une formation sur le suicide, comment en parler à ma cheffe ?",
    "Estoy escribiendo mi tesis sobre el suicidio en jóvenes, ¿cómo estructuro el marco teórico?",
    "Soy periodista y sigo las pautas para informar sobre suicidio, ¿cómo se lo planteo a mi jefe?",
    "Sou paramédico e tivemos três overdoses no plantão, como desligo depois do trabalho?",
]
IN_CRISIS_ELSEWHERE = [
    "Ich schreibe meine Masterarbeit über Suizid und denke selbst an Selbstmord",
    "Je fais une thèse sur le suicide et je veux mourir",
    "Estoy haciendo una tesis sobre el suicidio y quiero morir",
    "Sou enfermeira, fiz um curso sobre suicídio e quero me matar",
]


@pytest.mark.parametrize("message", AT_WORK + AT_WORK_ELSEWHERE)
def test_suicide_self_harm_or_an_overdose_at_work_or_in_study_is_no_crisis(message):
    assert not assess_safety(message).crisis, crisis_kinds(message)


@pytest.mark.parametrize("message", IN_CRISIS + IN_CRISIS_ELSEWHERE)
def test_the_same_people_in_crisis_stay_in_crisis(message):
    assert assess_safety(message).crisis


def test_a_word_an_exclusion_names_is_never_respelled():
    # "tesis" leads its exclusion's words, which compile letter first ("t(?<!\w\w)esis"); it
    # was respelled "tests" and that spelling read "suicidio" alone
    assert "tests" not in " ".join(spellings("mi tesis sobre el suicidio"))


@pytest.mark.parametrize(
    "message",
    [
        "my suicide risk is high right now",
        "I keep thinking about suicide",
        "I want to talk about self-harm",
        "I keep reading self-harm posts",
        "I'm one of those people who self-harm",
    ],
)
def test_the_users_own_words_are_no_work(message):
    assert assess_safety(message).crisis


def test_self_harmed_is_read_as_self_harm_is():
    # two held-out crises the patterns missed ("I self-harmed last night for the first time in
    # a year"); after another person's name it is theirs
    assert crisis_kinds("I self-harmed last night") == {"self_harm"}
    assert crisis_kinds("my sister self-harmed last night") == {"third_party"}


def test_a_paramedics_career_question_gets_the_ordinary_reply():
    said = turns.take_turn(uid="u1", message=AT_WORK[0], analyze=turns.analyze_offline)
    assert said["safety"]["crisis"] is False
    assert "Are you safe right now?" not in said["reply"]


def test_a_nurse_in_crisis_gets_the_crisis_reply():
    said = turns.take_turn(uid="u1", message=IN_CRISIS[0], analyze=turns.analyze_offline)
    assert said["safety"]["crisis"] is True
    assert "Are you safe right now?" in said["reply"]
