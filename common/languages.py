"""Common words that tell a message's language without a model: the template's replies
(English only) and the summary's topics (German capitalises its nouns) both need to know."""

ENGLISH_WORDS = frozenset(
    "the a an and or to of in on is are was i you my me it this that what how why should can "  # noqa: SIM905
    "do don't not no with for have just".split()
)
# none that is an English word too or part of one
GERMAN_WORDS = frozenset(
    "der das und ich nicht ist mit mein meine meinen wie kann soll auf für sich".split()  # noqa: SIM905
)
