"""The fallback crisis detector flags signs of danger and leaves everyday idioms alone."""

from __future__ import annotations

import re

import pytest

from common.analysis import assess_safety, with_model
from common.analysis.safety import (
    ABOUT_OTHERS,
    _unaccented,
    about_someone_else,
    crisis_kinds,
    crisis_language,
    load_rules,
)
from common.model_client import ModelUnavailable
from common.safety import crisis_reply, violence_resources_for, with_violence_lines
from tests.unit.test_someone_else_crisis_reply import _resources, _turn

CRISIS = [
    "I want to die",
    "i wanna die",
    "I'm going to kill myself",
    "i want to end it all",
    "there's no reason to live anymore",
    "everyone would be better off without me",
    "I keep wanting to hurt myself",
    "I can't go on",
    "i cant go on like this",
    "I'm not safe at home",
    "he hits me when he drinks",
    "I don't want to wake up tomorrow",
    "goodbye forever",
    "I'm thinking about an overdose",
    "im suicidal",
    "i feel sucidal",  # misspelt
    "i will kill myslef",  # misspelt
    "i want to dieeee",  # stretched
    "I WANT TO DIE",
    "life isn't worth living",
    "i wish i was dead",
    "I have nothing to live for",
    "I've been self-harming again",
    "I'm thinking of taking my own life",
    "kms",
    # Borderline, flagged on purpose: it explicitly says wanting to die (safety first).
    "this bug makes me want to die lol",
    # The words of the idioms below, said in earnest.
    "I'm going to shoot myself",
    "i'm so tired of living",
    "I just want to stop living",
    "I overdosed on my pills last night",
    "I keep thinking about suicide",
    # Phrasings the patterns missed (2026-12-04), which the model missed too.
    "pls help i cut deeper than usual and it won't stop bleeding",
    "i cut again last night",
    "inside I stopped wanting to be alive a while ago",
    "any point carrying on? i can't see one",
    "is there any point going on anymore",
    # An exclusion's word was a prefix of the next one (to/tonight, for/forever, on/one, at/
    # attic...) until the lookaheads ended on a word boundary (2026-12-05, privacy review).
    "I'm ending my life tonight",
    "I'm going to end my life today",
    "I will take my own life tomorrow",
    "I want to end my life forever",
    "I don't want to live one more day",
    "he beats me tonight",
    "he hits me upstairs",
    # Other languages (the persona model reads English only; 2026-12-05, product review).
    "Ich will nicht mehr leben",
    "ich will mich umbringen",
    "Je veux mourir",
    "j'ai envie de mourir",
    "je ne veux plus vivre",
    "quiero morir",
    "Me quiero matar",
    "no quiero seguir viviendo, no quiero vivir",
    "死にたい",
    "me quiero suicidar",
    "ich will nur noch sterben",
    "Kann nicht mehr. Will nicht mehr leben.",  # the subject dropped (the money review)
    "je veux juste mourir",
    "je veux plus vivre",  # spoken French drops "ne"
    "j'ai plus envie de vivre",
    # As they are also typed (the i18n review): umlauts as oe or without the dots, Japanese in
    # kana before (or instead of) kanji conversion, half-width katakana.
    "ich moechte sterben",
    "ich moechte nicht mehr leben",
    "Ich möchte nicht mehr leben",
    "ich will mich töten",
    "ich will mich toten",
    "ich will mich toeten",
    "しにたい",
    "シニタイ",
    "ｼﾆﾀｲ",
    "もうしにたい",
    "しにたいけど、だれにもいえない",
    "じさつしたい",
    "ジサツシタイ",
    # The fuzzing review (2026-12-06): an idiom's words inside a wish, a pause, a stress word.
    "I want to die for real",
    "I just want to die for good",
    "I'd rather die than live like this",
    "I would rather die than wake up tomorrow",
    "I just want to\u2026 die",
    "I want to kill... myself",
    "I don't want to... live anymore",
    "I want to fucking die",
    "I want to literally die",
    "I want to kill my fucking self",
    "I will end my life for real this time",
    "I want to end my life for good",
    "I am going to take my life for good tonight",
    "I deserve to die for what I did",
    "I'm ready to die for real",
    "I wish I'd never been born",
    "I'm not safe right now",
    "I'm not safe right now, please help me",
    "I'd rather die than go on",
    "I'd rather die than wake up in this body",
    "I can't go on right now",
    "I can't go on and I mean it",
    "I can't go on because of him",
    "I'd rather die than go on another day",
    "I'd rather die than keep existing",
    # Phrases weighed exactly at the threshold (0.5): each alone is a crisis (the mutation
    # review: flagging only above the threshold let them through).
    "I want to disappear",
    "I'm just a burden",
    "i want everything to stop",
    # "want it all to end" with "just", "really" or a word after it (the mutation review)
    "I just want it all to end",
    "i just want everything to end",
    "i just want it to stop",
    "I really want it to end",
    "i want it all to end tonight",
    "i just want everything to stop permanently",
    # Methods of self-harm in any tense (mutation testing round 2: neither the patterns nor
    # the model flagged these, and the template reply called the method a fix that failed)
    "I tried slitting my wrists but it did not help, nothing works",
    "I already tried stabbing myself",
    "I tried poisoning myself",
    "I tried strangling myself",
    "carving into my arm again",
    "I tried to suffocate myself",
    "i tried to choke myself",
    "slashing my wrists",
    # A plan, the means or an act, said without a wish to die (2026-12-07, safety review: with
    # the model down these got task advice, "i just swallowed a whole bottle of tylenol" -> "You
    # sound clear-headed... plan a short break").
    "i have the pills ready",
    "I've got the pills lined up on the table",
    "i want to end it",
    "i'm going to end it tonight",
    "thinking about ending it",
    "I've been looking up ways to end it",
    "i took 30 pills",
    "i just swallowed a whole bottle of tylenol",
    "took a whole strip of sleeping tablets about an hour ago",
    "im gonna off myself",
    "i want to off myself",
    "i've been cutting",
    "been cutting my arms again",
    "there's no point anymore",
    "no point anymore",
    "what's the point anymore",
    "i wish i could fall asleep and not wake up",
    "hoping i don't wake up tomorrow",
    "i'm going to jump",
    "unalive",
    "i've been giving my stuff away",
    "i won't be a problem much longer",
    "thank you for everything, goodbye",
    "i just want the pain to stop",
    "i wrote a note for my family, i'm ready",
    "i bought a rope",
    "i'm standing on the bridge right now",
    "i feel hopeless and trapped",  # two weak signs, as "hopeless and worthless" already were
    # Direct statements in the other languages that both detectors missed (2026-12-07, safety
    # review; the model reads English only and scored them ~0).
    "quiero quitarme la vida",
    "me quiero quitar la vida",
    "tengo pensamientos suicidas",
    "pienso en el suicidio",
    "estoy pensando en suicidarme",
    "ich denke an selbstmord",
    "ich denke über suizid nach",
    "ich denke ueber suizid nach",
    "ich bring mich morgen um",  # a word between "mich" and "um"
    "ich bringe mich heute abend um",
    "je veux en finir",
    "je vais en finir ce soir",
    "j'ai envie d'en finir",
    "je veux en finir avec la vie",
    "je pense à me suicider",
    "je pense a me suicider",
    "je suis suicidaire",
    "もう生きていたくない",
    "死のうと思ってる",
    "消えたい",  # as "I want to disappear" in English: at the threshold
    "この世から消えたい",
    # Someone else in danger (2026-12-07, safety review: patterns and model both missed the
    # first, and the user got task advice). The same resources serve a worried friend.
    "my friend wants to kill herself what do i do",
    "my brother said he wants to kill himself",
    "my friend said she wants to die",
    "my mom keeps saying she wants to die",
    "my colleague is going to end his life",
    "my roommate keeps talking about killing herself",
    "my sister is gonna kill herself",
    "she wants to take her own life",
    "they want to kill themselves",
    "my friend's partner threatened to kill himself if she leaves",
    # ...what the narrowed plan, means and act patterns still flag (2026-12-07, their review).
    "i took 30 pills over the last hour",
    "I have the pills ready for tonight",
    "I've got all the tablets lined up on the side",
    "Tonight's the night I end it.",
    "my life is a mess, I'm going to end it",
    "ending it tonight. the debt won.",
    "i won't be a burden for much longer",
    "honestly there's no point anymore",
    "been skipping meals. i don't see the point anymore",
    "i'm going to jump right now",
    "I've started giving my things away. I won't need them.",
    "thanks for everything, goodbye.",
    "got the rope sorted. just waiting for the flat to be empty tomorrow",
    "lost the job today and im standing on the bridge by the station. cant think straight",
    "my friend says she wants to die, what do I do",
    "my brother wants to die and I don't know how to help",
    "j'ai envie d'en finir avec tout ça",
    "je veux en finir avec tout",
    "je vais en finir ce soir, je n'en peux plus",
    "ich bringe mich heute um",
    "もう疲れて生きていたくない",
    "この世から早く消えたい",
    "会社から帰ってもう消えたい",
    # Crisis messages the narrowing of 2026-12-07 dropped (review of that narrowing): the
    # patterns are the only detector when the persona model is down, and for Japanese.
    "ways to end it painlessly",
    "best ways to end it quickly",
    "googling ways to end it without pain",
    "looking up ways to end it tonight",
    "searching ways to end it for good",
    "i'm going to end it tomorrow",
    "i want to end it today",
    "im ending it tomorrow",
    "i'm ending it this weekend",
    "ill end it this weekend",
    "i can't do this, i'm going to end it",
    "i took 40 paracetamol over the last day",  # from 20 up, whatever the span
    "i've taken 60 paracetamol over the weekend",
    "i took 30 tablets this week and nobody noticed",
    "i have my pills ready for the end",
    "i've got the pills ready for my final night",
    "i have my tablets ready",
    "ive got the tablets in front of me",
    "he wants to die, he has a gun",
    "my sister wants to die, she told me last night",
    "my friend wants to die she is cutting herself",
    "my friend wants to die after the breakup",
    "もう疲れて生きたくない",  # て-forms of how bad it is, not of how to live
    "辛すぎて生きたくない",
    "つらくて生きたくない",
    "疲れたからもう消えたい",  # から of a reason, not of a place
    "つらいからもう消えたい",
    "だから早く消えたい",
    "im out on the ledge right now",
    "i bought a rope and practised the knot",
    "i got a rope from the gym",
    "my wife left me so theres no point anymore",  # "no point anymore" after a loss
    "i lost everything and i don't see the point anymore",
    "she left, so there's no point anymore",
    "nothing matters so there's no point anymore",
    "i'm sitting on the bridge taking one last photo",  # a last photo is no campaign shoot
    "im ready to jump",
    "thank you for everything goodbye!",
    "Thanks for everything, goodbye!",  # was an idiom: "!" alone does not make it cheerful
    # Not seeing the point, and others better off, in the words the review found missed
    # (2026-12-07): with the model down, each got an ordinary reply.
    "i don't see the point of anything anymore, everyone would be better off",
    "I don't see the point of anything anymore",
    "i dont see the point of anything any more",
    "i do not see the point in anything",
    "I don't see the point of it all.",
    "dont see the point of living",
    "i don't see the point in life anymore",
    "I don't see the point of going on",
    "i dont see the point in trying anymore",
    "I can't see the point of anything at all",
    "I've stopped seeing the point of being alive",
    "what's the point of anything anymore",
    "whats the point of anything any more",
    "What is the point of going on.",
    "what's the point of life",
    "everyone would be better off",
    "Everyone would honestly be better off. I mean it",
    "everyone'd be better off",
    "if i was gone everyone would be better off",
    "if i was gone everyone would be better off, honestly",  # not at its sentence's end
    "if i wasn't around they'd all be better off",
    "everyone would be better off if i was gone",
    "everyone would be better off if I wasn't here",
    "everyone would be better off if i wasnt around anymore",
    "they would be better off without me",
    "my family would be better off without me",
    "everybody would be better off without me",
    "the world would be better off without me",
    # Short signs the model scored below its threshold (2026-12-07, the slices review): "gonna
    # jump" opening a sentence, "i took them all" alone or in a message that names pills.
    "gonna jump",
    "Gonna jump tonight",
    "ok gonna jump now",
    "i took them all",
    "took them all.",
    "i had a bottle of sleeping pills. i took them all",
    # "Nobody would notice" said in other ways (the loneliness review: with the model down,
    # only "nobody/no one would (even) notice if I..." was read).
    "if I disappeared nobody would notice",
    "if I died nobody would notice",
    "if I disappeared tomorrow no one would even notice",
    "would anyone even notice if I disappeared?",
    "no one would even realise I was gone",
    "noone would notice if i disappeared",
    "I don't think anyone would notice if I was gone",
    "it wouldn't matter to anyone if I disappeared",
    "nobody cares if I live or die",
    "no one cares whether I'm alive",
    "nobody would notice if I wasn't around anymore",
    # The illness review: one more word after "with my", or an illness named, and the pattern
    # for "I can't live with my pain anymore" read none of these.
    "I can't live with my chronic pain anymore",
    "I can't live with my fibromyalgia anymore",
    "I can't keep living with this illness anymore",
    "I can't live in this much pain anymore",
    "I can't live in this body anymore",
    "I can't live like this with the pain anymore",
    "I don't want to live with this pain for the rest of my life",
    # a means saved up, or an end on their own terms (the illness review: a terminal prognosis
    # with them stays a crisis)
    "I'm dying of cancer and I've saved up my morphine to end it",
    "I've been stockpiling my painkillers",
    "I'm hoarding my meds for when it gets too much",
    "I'm terminal and I want to end it on my own terms",
]

IDIOMS = [
    "this deadline is killing me",
    "I'd rather die than go on stage again after that talk",
    "I would rather die than wake up at 5am for the gym",
    "I'd rather die than keep going to these pointless standups",
    "I'd rather die than wake up again at 5am for standup",
    "I can't go on the trip tonight",
    "I can't go on holiday this year",
    "can't go on without coffee lol",
    "im not safe right now financially, rent went up again",
    "I am not safe tonight to drive home, I had two beers",
    "I'm not really safe anymore in my job after the reorg",
    "shoes to die for honestly",
    "I take my life for granted sometimes",
    "this code is not safe right now",
    "I'd rather die than give that presentation again",
    "I want to... take a break, honestly",
    "I really want to kill it at this interview",
    "how do I kill the process on port 8080?",
    "I'm dying to know the answer",
    "I killed it in the interview!",
    "dead tired after work",
    "shoot me an email when you can",
    "my laptop died again",
    "I'm bored to death in these meetings",
    "this cake is to die for",
    "my mom is going to kill me if I fail",
    "I can't go on vacation this year",
    "I don't want to live in London",
    "my phone is going to die",
    "she beat me at chess",
    "hit me up later",
    "he kicked me out of the band",
    "my brother beat me to it",
    "ich will nicht mehr leben in Berlin",
    "ich könnte sterben vor Lachen",
    "je veux mourir de rire",
    "je ne veux plus vivre à Paris",
    "me muero de risa",
    "quiero morirme de la risa",
    "no quiero vivir en Madrid",
    # Negations, and suicide named but not wished (the diff review).
    "no quiero morir",
    "No me quiero morir",
    "je ne vais pas me suicider",
    "自殺を考えたことはない",
    "友達が自殺するかもしれない",
    # The kana spellings' ordinary twins, in kana: 私に対して, 私に大切な, 私に大変な,
    # に対応, に対抗.
    "わたしにたいしてひどいことをいった",
    "わたしにたいせつなひと",
    "わたしにたいへんなことがおきた",
    "そのはなしにたいおうします",  # に対応
    "ははしにたいこうする",  # に対抗
    "ich moechte nicht mehr leben in Berlin",
    "ich moechte sterben vor Lachen",
    "ich will die toten Blumen wegwerfen",  # "toten": dead
    # Words that an exclusion's prefix used to cover before the word boundary (the diff review).
    "I want to take my life forward after the divorce",
    "I don't want to live closer to my in-laws",
    "I don't want to live somewhere cold",
    "my boss hit me with a new deadline",
    "we need to kill this feature",
    "I want to take my life back",
    "I hurt my back at the gym",
    "I'm not suicidal, just tired",
    "I don't want to die without seeing Japan",
    # Idioms the training corpus showed the detector flagging (24 false alarms in 6,312
    # non-crisis train records before these exclusions, 5 after; the crisis ones it catches
    # are unchanged).
    "this sprint is a suicide mission, help me cut scope",
    "is leaving after seven months career suicide?",
    "freelancing without an accountant is financial suicide, right?",
    "what's a suicide sprint in basketball practice",
    # "career suicide" in another word order (2026-12-07, safety review: flagged before).
    "that presentation was suicide for my career",
    "quitting now would be suicide for my reputation",
    "it would be suicidal for the company to ship this",
    "going public was reputational suicide",
    "Shot myself in the foot quoting a day rate over the phone",
    "I just want to stop living paycheck to paycheck",
    "overdosed on coffee before the interview lol",
    "I'm so tired of living out of boxes",
    # Ordinary twins of the 2026-12-04 patterns.
    "the new budget will cut deeper into our training spend",
    "we stopped wanting to live in the city after the second kid",
    "no point carrying on with this course if the certificate isn't recognised",
    "is there any point going on to a master's after this?",
    # "want it to end / stop" followed by what is to end or stop
    "I want it to stop raining before the offsite",
    "i want it to stop crashing on startup",
    "I want it to end soon so I can go home",
    # accidents and the ordinary uses of those verbs
    "I stabbed myself with a pen by accident lol",
    "I accidentally stabbed myself with a fork",
    "I choked myself up watching the finale",
    "choking my words in meetings",
    "the recipe says to poison the ants",
    "I cut my wrist on broken glass at work",
    "I'm poisoning my body with all this coffee",
    # Ordinary twins of the plan, means and act patterns (2026-12-07).
    "let's end it here and pick it up tomorrow",
    "let's end it on a high note",
    "I'm going to end it with my study group, they never show up",
    "ready to end it with this client. how do I terminate a contract politely?",
    "what's the best way to end it? a joke or a summary?",
    "in the end it was fine",
    "we started cutting costs",
    "i've been cutting carbs",
    "still cutting it close with the deadline",
    "took 2 tablets for my headache",  # an ordinary dose: pills are counted from ten up
    "it took 20 minutes to find my meds",
    "no point in arguing with him",
    "there's no point anymore in using jquery",
    "i need to not wake up early tomorrow",
    "try to not wake up the baby",
    "going to sleep for 14 hours and not wake up till tuesday",
    "took the day off myself",
    "bought a rope for the tyre swing",
    "I'm at the end of my rope with this landlord",
    "i'm going to jump in on the call",
    "I'm giving my stuff away before the move to Berlin",
    "been giving my stuff away bit by bit, minimalist era",
    "i won't be a problem for the team, i'll finish it",
    "i won't be here next week, can we move our session?",  # mostly a holiday: not flagged
    "thanks for everything, see you next week",
    "I just want the pain in my back to stop",
    "I feel trapped in this job",
    # ...and the ordinary twins and negations of the other languages' new patterns (2026-12-07).
    "je veux en finir avec ce projet",  # finish this project
    "je vais en finir avec ce dossier ce soir",
    "je ne veux pas en finir",
    "je ne pense pas à me suicider",
    "je n'ai jamais pensé à me suicider",
    "je ne suis pas suicidaire",
    "c'est suicidaire comme plan",  # reckless
    "la prévention du suicide au travail",
    "ich bringe mich um den Schlaf mit diesem Projekt",  # lose sleep over
    "ich bring mich nicht um",
    "ich bringe mich noch um vor Lachen",
    "ich bringe mich morgen um 8 zur Arbeit",  # um 8: at eight
    "das wäre beruflicher Selbstmord",
    "das ist doch Selbstmord bei dem Wetter",
    "ein Selbstmordattentat in den Nachrichten",
    "ich denke nicht an Selbstmord",
    "eso sería suicidio profesional",
    "una misión suicida",
    "es un plan suicida para la empresa",
    "prevención del suicidio en el trabajo",
    "no tengo pensamientos suicidas",
    "no quiero quitarme la vida",
    "グループチャットから消えたい",  # from a group chat, not from the world
    "消えたいくらい恥ずかしい",  # so embarrassed I could vanish
    "あんなふうに生きたくない",  # not like that
    "生きたくないわけじゃない",
    "会社に行きたくない",  # 行きたくない, "don't want to go", in kana would be いきたくない
    "いきたくない",
    "必死のうちに",  # 必死 + の, not 死のう
    # ...and what others are said to do that is no danger (2026-12-07).
    "my mom is going to kill herself laughing at this",
    "my dad is killing himself at work",
    "my manager wants to die on this hill",
    "she wants to take her life back",
    "he wants to take his life in a new direction",
    "my friend wants to kill it at the interview",
    "the interviewer talked about himself for 40 min",
    # Everyday sentences the plan, means and act patterns flagged (2026-12-07, review of 613a2f5:
    # each got the crisis reply, a crisis event, 30 days without nudges, an hour without limits).
    "took 200 mg ibuprofen for my headache before the standup",  # a dose
    "took 10 tablets of vitamin C over the last two weeks",  # spread over days
    "took 12 advil over the weekend for my back",
    "took a strip of paracetamol with me on the business trip",  # taken along
    "I have my meds with me for the conference trip, what else should I pack?",
    "we have the tablets ready for the user testing session",  # tablets: iPads
    "I've got all my tablets with me for the demo booth",
    "I've got the pills ready for my grandma's weekly organiser",
    "what are some ways to end it without burning bridges with the client?",
    "the standup is dragging, I'll just end it.",
    "our vendor trial is a mess, I'm going to end it tomorrow",
    "the legacy API won't be a problem for much longer, we're migrating",
    "that flaky test won't be a problem for much longer",
    "The client cancelled, so there's no point anymore.",
    "Got the offer letter, I'm ready to jump!",
    "ok I'm going to jump now, talk later",
    "Moving abroad next month, so I've been giving my things away.",
    # A sign-off with "!" is flagged unless the message names a work farewell (2026-12-07).
    "Last day at the office today. Thanks for everything, goodbye!",
    "thanks for everything team, goodbye!",
    "I got the rope and the carabiners for the team climbing day",
    "I'm out on the bridge taking photos for the campaign",
    "I'm standing on the bridge of the ship for the tour",
    "my daughter wants to die her hair blue",  # dye
    "i want to die my hair pink",  # dye, said of oneself (the dictation review)
    "Je veux en finir avec tout ce bazar administratif",
    "Je veux en finir ce soir avec ce rapport trimestriel",
    "je vais en finir demain avec la migration",
    # "en finir avec tout ça" alone can be the wish to die; followed by what they want
    # instead, it is not.
    "J'ai envie d'en finir avec tout ça et de changer de boulot",
    "Ich bringe mich noch um Kopf und Kragen",
    "Ich bringe mich noch um jede Chance",
    "後悔して生きたくない",  # not "live with regrets"
    "嘘をついて生きたくない",  # not "live lying"
    "死のうわさを聞いた",  # 死の噂: a rumour of death
    "この会議から早く消えたい",  # from this meeting, with 早く between
    # Ordinary twins of the crisis messages restored above (2026-12-07).
    "ways to end it with the client without a lawsuit",
    "the vendor contract is a mess, I'm ending it tomorrow",  # a named work thing: 0.45 only
    "the sprint review drags on, i'll end it today",
    "took 15 ibuprofen over the last two weeks for my back",  # under 20, spread over days
    "took 30 vitamin D tablets this month",  # a supplement
    "I have my tablets ready for the demo",  # tablets: iPads
    "I've got the tablets charged and ready",
    "my son wants to die his hair green",
    "he wants to die on that hill",
    "I'm out on the roof terrace with the team",
    "we lost the client so there's no point anymore in the pitch deck",
    "the new role starts monday, im ready to jump",
    "学校から消えたい",  # a place
    # Ordinary twins of the point and better-off phrasings added above (2026-12-07): a thing
    # named after the point, what others would be better off with or without, a condition.
    "I don't see the point of this meeting",
    "what's the point of a standup with no agenda",
    "everyone would be better off with a shared calendar",
    "the team would be better off without meetings on Friday",
    "I don't see the point of trying a new framework when the old one works",
    "I don't see the point of living in London when I work remotely",
    "i dont see the point in life insurance at 25",
    "what's the point of life insurance if I'm single?",
    "I don't see the point of going on the offsite",
    "what's the point of anything in this config file?",
    "If we moved the standup to 10, everyone would be better off.",
    "everyone would be better off if we shipped on Mondays",
    "the team would be better off if I wasn't here on Fridays to micromanage",
    # ...and their everyday twins: a jump that is no fall, photos or children taken along.
    "gonna jump on a call",
    "we're gonna jump on this after lunch",
    "sales are gonna jump next quarter",
    "Got the offer, gonna jump!",
    "who took the photos? i took them all",
    "I took them all to the zoo",
    # not a crisis however close to "nobody would notice" (the loneliness review)
    "nobody noticed my new haircut",
    "no one would notice if I left the meeting early",
    "would anyone notice if I changed the font?",
    "nobody cares if I use tabs or spaces",
    # ...and things one can't live with, or without, that are no illness
    "I can't live without my morning coffee",
    "can't live with this wifi anymore",
    "I can't live with my flatmate anymore",
    "I can't live like this with my flatmate anymore",
    "I can't live with the condition my flat is in",
    "I don't want to live with my parents for the rest of my life",
    "I'm saving my meds for the trip",
    "we stockpiled painkillers for the first-aid kit",
    "I've been saving up my money for a trip",
    "",
]


@pytest.mark.parametrize("text", CRISIS)
def test_crisis_messages_are_flagged_with_helplines(text: str) -> None:
    safety = assess_safety(text)
    assert safety.crisis is True
    assert 0.5 <= safety.probability <= 1.0
    resources = " ".join(safety.resources)
    for must in ("112", "911", "999", "988", "116 123", "findahelpline.com"):
        assert must in resources


@pytest.mark.parametrize("text", IDIOMS)
def test_idioms_are_not_a_crisis(text: str) -> None:
    safety = assess_safety(text)
    assert safety.crisis is False
    assert safety.probability < 0.5
    assert safety.resources == ()


def test_the_word_suicide_is_flagged_in_portuguese_as_in_the_other_languages() -> None:
    # "suicídio" alone is flagged as "suicide", "Selbstmord" and "suicidio" are (it is the
    # Spanish pattern's word, without its accent), even of a character in a book.
    assert assess_safety("o suicídio do personagem no livro").crisis is True


@pytest.mark.parametrize(
    ("text", "crisis"),
    [
        ("I feel hopeless", False),  # a weak sign alone is not a crisis...
        ("I feel hopeless and worthless and I hate myself", True),  # ...several together are
        # "end it" after a named thing is such a sign too (the review of 613a2f5)
        ("our vendor trial is a mess, I'm going to end it tomorrow", False),
        ("I feel hopeless about everything, I'm going to end it tomorrow", True),
        # "after i'm gone" too (the slices review), not when it says for how long
        ("after i'm gone", False),
        ("after i'm gone nobody will even notice, i feel so hopeless", True),
        ("after i'm gone for the week, who waters the plants? i feel hopeless", False),
    ],
)
def test_weak_signs_add_up(text: str, crisis: bool) -> None:
    safety = assess_safety(text)
    assert safety.probability > 0
    assert safety.crisis is crisis


def test_more_signs_mean_a_higher_probability() -> None:
    one = assess_safety("I can't go on").probability
    two = assess_safety("I can't go on, I just want to die").probability
    assert 0 < one < two <= 1


def test_unrelated_text_has_zero_probability() -> None:
    assert assess_safety("can you explain python decorators?").probability == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "ｉ ｗａｎｔ ｔｏ ｄｉｅ",  # full-width, as CJK keyboards type it
        "ＩＭ ＧＯＩＮＧ ＴＯ ＫＩＬＬ ＭＹＳＥＬＦ",
        "𝗶 𝘄𝗮𝗻𝘁 𝘁𝗼 𝗸𝗶𝗹𝗹 𝗺𝘆𝘀𝗲𝗹𝗳",  # mathematical bold, from "fancy text" apps
    ],
)
def test_styled_letters_read_as_plain_ones(text: str) -> None:
    from common.analysis.with_model import analyze

    analysis, degraded = analyze(text, model=None)
    assert analysis.safety.crisis and degraded == []


# How people write when a filter or a keyboard is in the way (2026-12-05, the Unicode review):
# each of these got an ordinary reply from the patterns before, with the model down or missing.
OBFUSCATED = [
    "i want to d\u200bie",  # a zero-width space inside a word (pasted, or to dodge a filter)
    "k\u200dill myself",  # a zero-width joiner
    "i want to di\u00ade",  # a soft hyphen
    "sui\u2060cidal",  # a word joiner
    "I donʼt want to live anymore",  # U+02BC, an apostrophe some keyboards type
    "I don′t want to live anymore",  # U+2032, a prime
    "I don´t want to live anymore",  # U+00B4, which NFKC alone makes a space and an accent
    "I can´t go on anymore",
    "İ WANT TO DİE",  # caps lock on a Turkish layout
    "I want to kill mysélf",  # an accent
    "k1ll myself",
    "su1cide is all i think about",
    "k!ll myself",
    "i want to d i e",
    "s u i c i d e",
    "k.m.s",
    "i dont wanna live anymore",  # "wanna" where the pattern said "want to"
    "i never wanna wake up",
    "i wanna to die",  # as often written (the diff review)
    "I want\u200bto die",  # a zero-width space as the only space
    "I want\u200bto d1e",  # two ways combined (the last review)
    # Gaps the last session left (2026-12-06): symbols for letters, a doubled letter, the words
    # people use where a platform filters "suicide".
    "i want to kill my$elf",
    "i w@nt to die",
    "i want to $uicide",
    "i just wanna diee",
    "i wanna t0 die",
    "i wana die",
    "i want to unalive",
    "thinking about unaliving myself",
    "planning to unalive tonight",
    "i will unalive",
    "i want to unalive, i cant anymore",
    "im going to unalive tomorrow",
    "sewerslide has been on my mind",
    "i want to.. die",  # a two-dot pause (the mutation review)
    "kill my freaking self",
]

# ...and ordinary messages those other spellings must leave alone.
NOT_OBFUSCATED = [
    "I'm killlling myself laughing",  # stretched idioms: the idiom is excluded as written too
    "careerrr suicide",
    "overdosed on coffeeee",
    "suicide squaaad tonight",
    "i dont wanna die lol, just tired",
    "I don't wanna die without seeing Japan",
    "je vais me tuer a la tache",  # the French idiom without its accent
    "the U S A visa office",
    "R.I.P my phone",
    "my k1d is sick",
    "l33t sk1llz",
    "die!!",
    "i dont wanna diee lol",
    "this cake is to diee for",
    "email me@work.com, we spent $5 on the venue",
    "i want to unalive this bug",  # said of a thing or another person, not oneself
    "gonna unalive my alarm clock",
    "this boss is so annoying i want to unalive it",  # gamer talk (the diff review)
    "gonna unalive a zombie",
    "i will unalive these bugs",
    "the sewer slide at the waterpark",
    # Long messages whose other spellings change a word far from an idiom (the diff review:
    # scanning only the part around the change cut "not" off "not suicidal").
    "To be clear, I'm not suicidal, just exhausted. My manager keeps piling on tickets and the "
    "sprint review is on Friday, so I have been staying late every night this week and skipping "
    "the gym, which makes it worse. Anyway, coffee at the café tomorrow?",
    "My 1st week back was rough, the backlog is huge and my lead keeps changing priorities on "
    "me every single morning, but I have a plan: I finally want to take my life back from "
    "this job",
]


@pytest.mark.parametrize("text", OBFUSCATED)
def test_other_spellings_of_a_crisis_are_flagged(text: str) -> None:
    assert assess_safety(text).crisis is True


@pytest.mark.parametrize(
    "word", ["really", "actually", "literally", "fucking", "freaking", "seriously", "truly"]
)
def test_a_stress_word_inside_a_crisis_statement_is_read_past(word: str) -> None:
    assert assess_safety(f"i want to {word} die").crisis is True


@pytest.mark.parametrize("text", NOT_OBFUSCATED)
def test_other_spellings_of_ordinary_messages_are_not(text: str) -> None:
    assert assess_safety(text).crisis is False


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def test_an_accented_word_in_a_pattern_is_accepted_as_people_type_it_without():
    """safety_phrases.json's rule: the text is also scanned without its accents, so a pattern
    with an accented word must accept it without; German's are typed as ae, oe, ue, ss too.
    Read off the patterns' words ("mich töten" had neither form, the i18n review)."""
    rules = load_rules()
    missing = []
    for regex in [p.regex.pattern for p in rules.patterns] + [e.pattern for e in rules.exclusions]:
        words = set(re.findall(r"[^\W\d_]+", re.sub(r"\\[a-zA-Z]", " ", regex)))
        german = "ich" in words  # Spanish writes ü too (vergüenza), never as ue
        for word in words:
            others = {_unaccented(word), word.translate(_UMLAUTS) if german else word}
            missing += [(word, other) for other in others - words - {word}]
    assert missing == []


# Being abused needs a subject (the sensitive-topics review of 2026-12-07): "being abused" and
# "domestic violence" were the user's danger whoever they were said of, so a manager asking how
# to support a report, a survivor talking about their childhood and HR writing a policy got the
# first-person crisis reply ("Are you safe right now?").
ABUSE_OF_THE_USER = [
    "I'm being abused",
    "I am being abused by my husband",
    "I've been being abused for months",
    "i am still being abused",
    "being abused at home, what do i do",
    "i keep getting beaten up by my dad",
    "he is hitting me",
    "my partner is abusing me",
    "my husband keeps hitting me",
    "she's been beating me",
    "he is beating me up",
    "I'm a victim of domestic violence",
    "I need to take domestic violence leave",  # the user may be the one taking it
    "as someone who has been abused, this is hard",
    "I have been abused as a child and now my husband is abusing me",
    "I've been abused since I was a kid",  # since: it goes on
    "I was getting beaten up at school",  # a pupil may mean this week
    "my sister is being abused and so am i",
    "my sister is being abused and i am being abused too",
    # The review counted it a false alarm; a first-person "being abused" is a danger sign the
    # product does not argue with, and no narrow exclusion tells overwork from abuse at work.
    "I feel like I am being abused by my manager with constant overtime",
]
ABUSE_OF_SOMEONE_ELSE = [
    "My report told me she is being abused by her partner, how do I support her as a manager?",
    "I think my colleague is being abused at home, she comes in with bruises",
    "my sister is being abused",
    "i think she's probably being abused",
    "she has been getting beaten for months",
    "is he being abused?",
]
NO_DANGER_NOW = [
    "I have been abused as a child and therapy is helping, but feedback at work triggers me",
    "I was getting beaten up at school as a kid, and now I freeze when my boss raises his voice",
    "As a kid I was getting beaten, and loud voices still scare me",
    "i was being abused growing up, it shaped how i handle conflict",
    "Our company is rolling out a domestic violence leave policy and I have to present it",
    "I run the HR team and need to write our domestic abuse support guidance",
    "our domestic violence awareness training is on friday",
    "I wrote the policy on domestic abuse for our staff",
    "she is beating me at chess",
    "my boss keeps hitting me with deadlines",
    "he keeps hitting me up for money",
]


@pytest.mark.parametrize("text", ABUSE_OF_THE_USER)
def test_abuse_of_the_user_is_their_crisis(text: str) -> None:
    assert assess_safety(text).crisis is True
    assert about_someone_else(text) is False


@pytest.mark.parametrize("text", ABUSE_OF_SOMEONE_ELSE)
def test_abuse_of_someone_else_is_a_crisis_about_them(text: str) -> None:
    assert assess_safety(text).crisis is True
    assert about_someone_else(text) is True


@pytest.mark.parametrize("text", NO_DANGER_NOW)
def test_abuse_told_of_childhood_or_as_a_workplace_topic_is_not_a_crisis(text: str) -> None:
    assert assess_safety(text).crisis is False


def test_a_colleague_being_abused_gets_the_reply_for_a_worried_friend() -> None:
    said = _turn("I think my colleague is being abused at home, she comes in with bruises")
    violence = violence_resources_for(None, default_locale="en-US")
    resources = with_violence_lines(_resources(None), violence)  # someone else hurt
    assert said["safety"] == {"crisis": True, "resources": list(resources)}
    assert said["reply"] == crisis_reply(resources, someone_else=True, hurt=True)
    assert not said["reply"].endswith("Are you safe right now?")


# A young user's disclosures (the minors review of 2026-12-07), each with the kind of crisis it
# is: someone hurting, abusing or grooming the user is "violence" (the line for violence at home
# and, where configured, a child line); nowhere safe to sleep is "danger"; someone else in
# danger is "third_party", hurt "third_party_violence" (the reply for a worried friend, with the
# line for violence at home for the latter). The grief review's wishes not to live on
# without someone are "suicide": with the model down the patterns are the whole check.
DISCLOSED = [
    ("i got raped last night", "violence"),
    ("i was raped", "violence"),
    ("someone raped me", "violence"),
    ("a man raped me", "violence"),
    ("i am being sexually abused", "violence"),
    ("i was sexually assaulted", "violence"),
    ("my stepdad touches me", "violence"),
    ("my uncle touches me at night", "violence"),
    ("my teacher keeps touching me and it makes me uncomfortable", "violence"),
    ("i'm being groomed", "violence"),
    (
        "a guy i met online (he's 28) says i'm mature for my age and wants me to keep our "
        "chats secret",
        "violence",
    ),
    ("an adult on discord keeps asking for pics and says not to tell my parents", "violence"),
    ("he's asking for nudes and said not to tell anyone", "violence"),
    ("he's threatening to share my nudes", "violence"),
    ("my dad hits me with a belt", "violence"),
    ("i have bruises from my dad again", "violence"),
    ("my dad said he will kill me if i tell anyone", "violence"),
    ("my stepdad said he'll hurt me if i tell", "violence"),
    ("i scratch my arms until they bleed", "self_harm"),
    ("i took a bunch of my mom's pills", "suicide"),
    ("everyone at school would be happier if i was dead", "suicide"),
    ("they'd be happier without me", "suicide"),
    ("my mom kicked me out, i have nowhere to sleep tonight", "danger"),
    ("i got kicked out by my parents last night and i'm sleeping at the bus station", "danger"),
    ("i'm going to run away from home tonight", "danger"),
    ("my friend is cutting herself", "third_party"),
    ("my friend self harms", "third_party"),
    ("my friend's dad hits her", "third_party_violence"),
    ("my friend told me her stepdad touches her", "third_party_violence"),
    ("my friend is being groomed by an older guy online", "third_party_violence"),
    ("I don't want to live without her", "suicide"),
    ("I can't live without her", "suicide"),
    ("I don't want to be here without him", "suicide"),
    ("I want to join my husband", "suicide"),
    ("I just want to be with my mum again", "suicide"),
    ("I wish I had died instead of him", "suicide"),
    ("I can't live with this pain anymore", "suicide"),
    ("I can't live like this anymore", "suicide"),
    ("I feel like a burden to everyone", "suicide"),
    ("I'm going to stop taking my insulin", "self_harm"),
]
# The same words in ordinary messages.
NOT_DISCLOSED = [
    "he hits me up every weekend",
    "she hit me with a question i couldn't answer",
    "my boss hit me with some news today",
    "he hit me with the truth",
    "my little brother keeps hitting me with pillows lol",
    "let's touch base tomorrow",
    "keep in touch!",
    "my teacher touches on grammar every lesson",
    "the API is being abused by bots",
    "my dog is being groomed today",
    "they're grooming me for management",
    "i'm being groomed for the lead role",
    "i got assaulted by the smell of the kitchen",
    "i took a bunch of photos",
    "he kicked me out of the zoom call",
    "i got kicked out of the meeting",
    "i want to run away to the beach for a week lol",
    "my parents are going to kill me lol i got a C",
    "he said he'll kill me if i'm late again lol",
    "i have bruises from football",
    "my friend is cutting back on sugar",
    "i don't want to live in London",
    "i can't live without coffee",
    "I want to join my husband for dinner",
    "I just want to be with my mum again at Christmas",
    "I can't live with this bug anymore",
    "i'm going to stop taking my vitamins",
]


@pytest.mark.parametrize(("text", "kind"), DISCLOSED)
def test_a_young_users_disclosure_is_a_crisis_of_its_kind(text: str, kind: str) -> None:
    assert assess_safety(text).crisis is True
    assert kind in crisis_kinds(text)
    assert about_someone_else(text) is (kind in ABOUT_OTHERS)


@pytest.mark.parametrize("text", NOT_DISCLOSED)
def test_the_same_words_in_ordinary_messages_are_not(text: str) -> None:
    assert assess_safety(text).crisis is False
    assert crisis_kinds(text) == set()


@pytest.mark.parametrize("text", ["im scared to go home", "i'm afraid to go home"])
def test_scared_to_go_home_is_a_weak_sign_of_danger_as_in_german(text: str) -> None:
    safety = assess_safety(text)
    assert safety.probability == 0.45
    assert crisis_kinds(text) == {"danger"}
    assert assess_safety(f"{text}, he hits me").crisis is True


# Short, telegraphic and non-native English (the fairness review of 2026-12-07: the patterns
# read 13 of its 20 crisis messages of 1-3 words and 10 of its 20 in non-native English), and
# the same words in ordinary messages.
SHORT_AND_NON_NATIVE = [
    "There is no reason for me to live anymore.",
    "There is not any reason for me to live more.",
    "no reason live",
    "whats even the point of living anymore",
    "took all pills",
    "bought rope",
    "pills ready",
    "The pills are prepared and the letters I have written already.",
    "husband hits me",
    "dad beats me",
    "unsafe at home",
    "I feel unsafe at home with him",
    "At home I am not in safety now.",
    "I am wanting to die.",
    "sitting in the car wanting to die",
    "Tonight I will finish with my life.",
    "All people will be more better if I am not existing.",
    "I think about not existing a lot these days.",
]
SHORT_AND_NON_NATIVE_ORDINARY = [
    "There is no reason for me to live in London if I work remotely.",
    "there's no reason to live in London if you work remotely",  # flagged before
    "Took all pills as prescribed this week, the new routine works.",
    "I took all my pills as prescribed today",  # flagged before
    "Remember to take all tablets with food.",
    "Bought rope for the climbing gym, any tips on knots?",
    "got rope burn from the tug of war at the team day",
    "bought rope lights for the office party",
    "Pills ready for pickup at the pharmacy, just got the text.",
    "Meds are ready to collect from the chemist.",
    "The tablets are charged and ready for the demo.",
    "my ex hits me up every time he's bored",
    "Coach beats me at chess every Friday.",
    "the wiring is unsafe at home and the landlord won't fix it",
    "Is it unsafe at home to charge an e-bike overnight?",
    "I'm not wanting to die, I just want a break from this job.",
    "I'm finishing with my life coach today, she's been great.",
    "It would be better if I am not existing in two Slack workspaces.",
    "I think about not existing on social media for a month.",
]


@pytest.mark.parametrize("text", SHORT_AND_NON_NATIVE)
def test_short_and_non_native_crisis_messages_are_flagged(text: str) -> None:
    assert assess_safety(text).crisis is True


@pytest.mark.parametrize("text", SHORT_AND_NON_NATIVE_ORDINARY)
def test_their_words_in_ordinary_messages_are_not(text: str) -> None:
    assert assess_safety(text).crisis is False


def test_a_close_person_who_hits_the_user_is_violence() -> None:
    assert crisis_kinds("husband hits me") == {"violence"}
    assert crisis_kinds("unsafe at home") == {"danger"}


# The dark-humour review (2026-12-07): crises said casually that the patterns missed, and
# hyperbole they flagged. Each idiom below is a crisis again when the message says it is meant.
CASUAL_CRISIS = [
    "thinking about jumping in front of a train tomorrow morning",
    "i want to throw myself in front of the train",
    "gonna step in front of the bus tonight",
    "lying down in front of a moving tram sounds peaceful",
    "haha i'm fine, just giving away all my stuff 🙃",
    "ive been giving away my things to friends",
    "haha just drafted my goodbye texts, standard tuesday",
    "i have written all my goodbye letters",
    "i want it to actually kill me",
    "this job is killing me and honestly i'd welcome it",
    "i'd rather be dead than alive",
    "i'd rather be dead than go on, i mean it",
    "id rather be dead than sit that exam, not joking, i've been looking up ways",
    "jump off a bridge? nah. actually yes, i mean it",
    "gonna jump off the bridge into the river tonight",
]
HYPERBOLE = [
    "i would rather be dead than use excel for this",
    "id rather be dead than on this zoom call rn",
    "jump off a bridge? nah, i'll just rewrite the tests",
    "we're going to jump off the cliff into the lake on holiday",
    "cliff jumping off the bridge at the quarry was the best part of summer",
    "the stuntman had to jump off a building for the movie",
    "i was standing in front of the bus stop for ages",
    "jumping in front of the train doors to hold them for my mate was a bad idea",
    "wrote my goodbye messages to the team for my last day",
    "giving away all my stuff before the move",
]


@pytest.mark.parametrize("text", CASUAL_CRISIS)
def test_casual_register_crisis_is_flagged(text: str) -> None:
    assert assess_safety(text).crisis is True


@pytest.mark.parametrize("text", HYPERBOLE)
def test_hyperbole_is_not_a_crisis(text: str) -> None:
    assert assess_safety(text).crisis is False


# The money review: ideation about a life-insurance payout was never read by the patterns (8 of
# the corpus's 41 such crisis records caught), which are the only check when the model is down
# and in every language but English: "my family would be better off with the life insurance
# money than with me" got "You sound grounded".
LIFE_INSURANCE = [
    ("my family would be better off with the life insurance money than with me", "en"),
    ("I'm worth more dead than alive. at least the insurance would clear the debt", "en"),
    ("everyone would be better off if i killed myself and they got the life insurance", "en"),
    ("since the layoff I've started to feel my life insurance is worth more than I am", "en"),
    ("my kids would get more out of my life insurance than they get out of me", "en"),
    ("the only way out of this debt is the life insurance", "en"),
    (
        "i've been googling ways to make it look like an accident so my family gets the insurance",
        "en",
    ),
    ("Meine Familie wäre mit der Lebensversicherung besser dran als mit mir.", "de"),
    ("Ma famille serait mieux avec l'argent de l'assurance vie qu'avec moi.", "fr"),
    ("Mi familia estaría mejor con el dinero del seguro de vida que conmigo.", "es"),
    ("Minha família ficaria melhor com o dinheiro do seguro de vida do que comigo.", "pt"),
]
LIFE_INSURANCE_ORDINARY = [
    "should I get life insurance now that we have a baby?",
    "is term life insurance worth more than whole life for a family of four?",
    "we'd be better off with a different life insurance provider, ours keeps raising the price",
    "the policy paid out more than I expected after the car accident",
    "the only way out is the insurance claim, the car is totalled",
    "Mit der neuen Versicherung bin ich besser dran als mit der alten.",
    "Estoy seguro de que estarían mejor con él que conmigo en el equipo.",
]


class _ModelDown:
    def predict(self, text: str) -> None:
        raise ModelUnavailable("down")


@pytest.mark.parametrize(("text", "language"), LIFE_INSURANCE)
def test_life_insurance_ideation_is_a_crisis_with_the_model_down(text: str, language: str) -> None:
    analysis, degraded = with_model.analyze(text, model=_ModelDown())
    assert degraded == [with_model.MODEL_DOWN]
    assert analysis.safety.crisis is True
    assert crisis_kinds(text) == {"suicide"}
    assert crisis_language(text) == language  # the crisis reply's


@pytest.mark.parametrize("text", LIFE_INSURANCE_ORDINARY)
def test_life_insurance_questions_are_not_a_crisis(text: str) -> None:
    assert assess_safety(text).crisis is False


# The money review: an eviction with nowhere to sleep gave nothing ("we" was no subject of
# "nowhere to go"); kind danger, as a young user's "nowhere to sleep".
EVICTED = [
    "we have nowhere to sleep tonight",
    "getting evicted friday and we have nowhere to go",
    "the landlord changed the locks and I'm on the street",
    "sleeping in my car since the eviction",
    "evicted tomorrow, nowhere to sleep, me and the kids",
    "me and the kids have nowhere to go",
]
NOT_EVICTED = [
    "we've got nowhere to stay for the conference, any ideas?",
    "we have nowhere to go for christmas this year",
    "I sleep in my van most weekends",
    "I sleep in my car during my lunch break",
    "the pods got evicted and have nowhere to go, how do I fix the scheduler?",
    "the landlord changed the locks on the shed, I need my bike",
]


@pytest.mark.parametrize("text", EVICTED)
def test_an_eviction_with_nowhere_to_sleep_is_danger(text: str) -> None:
    assert assess_safety(text).crisis is True
    assert crisis_kinds(text) == {"danger"}


@pytest.mark.parametrize("text", NOT_EVICTED)
def test_nowhere_to_stay_for_a_trip_or_a_nap_in_the_car_is_not(text: str) -> None:
    assert assess_safety(text).crisis is False
