"""The HTTP edge: every malformed request becomes a clear 4xx in the error shape."""

import json

import flask
import pytest

from common.chat.models import LegacyChatRequest, TurnCreate
from common.errors import ApiError, RateLimited
from common.http import Routes, error_response, handle_errors, parse, read_json

app = flask.Flask(__name__)
MAX = 1024


def _read(data: bytes, content_type: str = "application/json"):
    with app.test_request_context("/", method="POST", data=data, content_type=content_type):
        return read_json(flask.request, max_bytes=MAX)


def _error(fn, *args) -> ApiError:
    with pytest.raises(ApiError) as e:
        fn(*args)
    return e.value


def test_reads_a_json_object():
    assert _read(b'{"a": "\xc3\xa9"}') == {"a": "é"}


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b"{}", "text/plain", 415, "unsupported_media_type"),
        (b"{}", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"a": "\xff\xfe"}', "application/json", 400, "invalid_utf8"),
        (b'{"a": "\\ud800"}', "application/json", 400, "invalid_utf8"),
        (b"{not json", "application/json", 400, "invalid_json"),
        (b"", "application/json", 400, "invalid_json"),
        (b"[" * 100 + b"]" * 100, "application/json", 400, "invalid_json"),
        (b"[" * 100_000, "application/json", 413, "payload_too_large"),
        (json.dumps({"m": "x" * 2000}).encode(), "application/json", 413, "payload_too_large"),
    ],
)
def test_bad_bodies(data, content_type, status, code):
    e = _error(_read, data, content_type)
    assert (e.status, e.code) == (status, code)
    assert set(e.body()["error"]) >= {"code", "message"}


BASE = {"client_turn_id": "abc-1", "message": "hello"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "hi"}, "client_turn_id"),
        ({**BASE, "client_turn_id": ""}, "client_turn_id"),
        ({**BASE, "client_turn_id": "a/b"}, "client_turn_id"),
        ({**BASE, "client_turn_id": "x" * 129}, "client_turn_id"),
        ({**BASE, "client_turn_id": 5}, "client_turn_id"),
        ({**BASE, "message": "   "}, "message"),
        ({**BASE, "message": "x" * 4001}, "message"),
        ({**BASE, "message": 42}, "message"),
        ({**BASE, "message": None}, "message"),
        ({**BASE, "message": "a\x00b"}, "message"),
        ({**BASE, "session_id": "../../etc/passwd"}, "session_id"),
        ({**BASE, "session_id": "__reserved__"}, "session_id"),
        ({**BASE, "session_id": 12}, "session_id"),
        ({**BASE, "persona": "gandalf"}, "persona"),
        ({**BASE, "stream": "yes"}, "stream"),
        ({**BASE, "user_id": "someone-else"}, "user_id"),
    ],
)
def test_invalid_turns_name_the_field(body, field):
    e = _error(parse, TurnCreate, body)
    assert (e.status, e.field) == (400, field)


@pytest.mark.parametrize("rating", [0, 6, 3.0, "3", "meh", True])
def test_a_bad_rating_names_both_forms_a_rating_takes(rating):
    # The union's first error said only "'up' or 'down'": a client sending 0 or 6 on the 1-5
    # scale was told numbers are not accepted (the contract review).
    from common.feedback.models import FeedbackCreate

    body = {"turn_id": "a" * 32, "session_id": "5" * 32, "rating": rating}
    with pytest.raises(ApiError) as refused:
        parse(FeedbackCreate, body)
    assert refused.value.field == "rating"
    assert "'up', 'down' or a whole number from 1 to 5" in refused.value.message


@pytest.mark.parametrize("key", ["client-turn-id", "x y", "2", ""])
def test_an_unknown_key_is_named_whatever_it_looks_like(key):
    e = _error(parse, TurnCreate, {**BASE, key: "b"})
    assert (e.status, e.field, e.message) == (400, key, f"'{key}' is not a known field.")


def test_an_unknown_nested_key_is_named_with_its_parent():
    from common.profile.models import ProfilePatch

    hours = {"start": "01:00", "end": "02:00", "time-zone": "x"}
    e = _error(parse, ProfilePatch, {"quiet_hours": hours})
    assert e.field == "quiet_hours.time-zone"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"message": "   "}, "'message': the message is empty."),
        ({"timezone": "Mars/Base"}, "'timezone': not an IANA time zone."),
        ({"quiet_hours": "22-07"}, "'quiet_hours': must be a JSON object."),
    ],
)
def test_a_message_is_in_our_words_not_the_validation_librarys(body, message):
    """Not "'message': Value error, the message is empty." nor "... or instance of QuietHours"
    (the words review)."""
    from common.profile.models import ProfilePatch

    model, body = (TurnCreate, {**BASE, **body}) if "message" in body else (ProfilePatch, body)
    assert _error(parse, model, body).message == message


HEX_WORDS = "must be 32 characters, each a digit or a letter a-f."
TOKEN_WORDS = (
    "must be an FCM registration token: 16 to 4096 letters, digits, colons, periods, hyphens"
    " or underscores."
)


@pytest.mark.parametrize(
    ("model", "body", "field", "words"),
    [
        (
            "profile",
            {"quiet_hours": {"start": "25:00", "end": "07:00"}},
            "quiet_hours.start",
            "must be a time of day as HH:MM, from 00:00 to 23:59.",
        ),
        (
            "turn",
            {**BASE, "client_turn_id": "a b"},
            "client_turn_id",
            "must be 1 to 128 characters, each a letter A-Z or a-z, a digit, a hyphen or an"
            " underscore.",
        ),
        ("turn", {**BASE, "session_id": "S1"}, "session_id", HEX_WORDS),
        ("legacy", {"userId": "u", "message": "hi", "sessionId": "S1"}, "sessionId", HEX_WORDS),
        (
            "feedback",
            {"turn_id": "T1", "session_id": "a" * 32, "rating": "up"},
            "turn_id",
            HEX_WORDS,
        ),
        ("device", {"token": "short", "platform": "ios"}, "token", TOKEN_WORDS),
        (
            "device",
            {"token": "a" * 20, "platform": "ios", "previous_token": "a b" * 8},
            "previous_token",
            TOKEN_WORDS,
        ),
    ],
)
def test_a_string_of_the_wrong_form_is_told_the_form_in_words_not_the_regex(
    model, body, field, words
):
    """Not "'quiet_hours.start': String should match pattern '^([01][0-9]|2[0-3]):...'": the
    people whose apps show the message cannot read a regex."""
    from common.devices.models import DeviceCreate
    from common.feedback.models import FeedbackCreate
    from common.profile.models import ProfilePatch

    models = {
        "profile": ProfilePatch,
        "turn": TurnCreate,
        "legacy": LegacyChatRequest,
        "feedback": FeedbackCreate,
        "device": DeviceCreate,
    }
    e = _error(parse, models[model], body)
    assert (e.status, e.code, e.field, e.message) == (
        400,
        "invalid_input",
        field,
        f"'{field}': {words}",
    )
    assert "pattern" not in e.message and "^" not in e.message


def test_a_pattern_without_words_keeps_the_validation_librarys_message():
    from typing import Annotated

    from pydantic import BaseModel, StringConstraints

    class Unworded(BaseModel):
        code: Annotated[str, StringConstraints(pattern=r"^x$")]

    e = _error(parse, Unworded, {"code": "y"})
    assert (e.field, e.message) == ("code", "'code': String should match pattern '^x$'.")


def test_one_regex_cannot_be_given_two_meanings():
    from common import formats
    from common.chat.models import SESSION_ID_PATTERN

    with pytest.raises(ValueError, match="already reads"):
        formats.pattern(SESSION_ID_PATTERN, "must be something else")


@pytest.mark.parametrize("body", [[], "text", 3, None])
def test_a_body_must_be_an_object(body):
    assert _error(parse, TurnCreate, body).status == 400


def test_message_is_trimmed_and_4000_chars_after_trimming_is_fine():
    turn = parse(TurnCreate, {**BASE, "message": "  " + "x" * 4000 + "\n"})
    assert len(turn.message) == 4000


# The i18n review: these passed as non-empty, or as free of control characters, and got a reply.
INVISIBLE = [
    "\u200b",
    "\u200b\u200b",
    "\ufeff",
    "\u200e",
    "\u2060",
    "\u3164",
    "\u2800",
    " \u200b\u3164 ",
    "\ufe0f\ufe0f\ufe0f",  # variation selectors with nothing to vary
    "\u034f",  # the combining grapheme joiner
    " \u0301\u0308 ",  # accents on nothing
]


@pytest.mark.parametrize("model", [TurnCreate, LegacyChatRequest])
@pytest.mark.parametrize("message", INVISIBLE)
def test_a_message_of_invisible_characters_is_empty(model, message):
    body = {**BASE, "userId": "u"} if model is LegacyChatRequest else BASE
    e = _error(parse, model, {**body, "message": message})
    assert (e.status, e.field, e.message) == (400, "message", "'message': the message is empty.")


@pytest.mark.parametrize("model", [TurnCreate, LegacyChatRequest])
@pytest.mark.parametrize("message", ["hi\x9b31m", "a\x85b", "\x80x", "a\x7fb", "a\x1bb"])
def test_c1_controls_are_control_characters_too(model, message):
    body = {**BASE, "userId": "u"} if model is LegacyChatRequest else BASE
    e = _error(parse, model, {**body, "message": message})
    assert e.message == "'message': the message contains control characters."


@pytest.mark.parametrize(
    "message",
    [
        "👨\u200d👩\u200d👧\u200d👦",  # a family: people joined by zero-width joiners
        "❤\ufe0f",  # a variation selector
        "👍🏽",  # a skin tone modifier
        "\u200fשלום, מה שלומך?",  # Hebrew after a right-to-left mark
        "مرحبا\u200c بك",  # a zero-width non-joiner inside Persian-style text
        "line one\r\nline two\tend",
        "\u3164hi",  # a filler beside a letter still says something
        "e\u0301 and \u0e01\u0e34",  # marks on letters: a decomposed é, Thai
    ],
)
def test_emoji_sequences_bidi_marks_and_line_breaks_still_pass(message):
    assert parse(TurnCreate, {**BASE, "message": message}).message == message.strip()


def test_legacy_body_tolerates_extra_fields_but_checks_types():
    ok = parse(LegacyChatRequest, {"userId": "u", "message": "hi", "clientVersion": "1.2"})
    assert ok.enableAIAnalysis is True
    assert _error(parse, LegacyChatRequest, {"userId": "u", "message": ["hi"]}).field == "message"


ROUTES = Routes({"/v2/things/<thing_id>": ("thing", ("GET",))})


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v2/nothing", 404),
        ("POST", "/v2/things/1", 405),
        ("GET", "/v2/things/1/x", 404),
        ("HEAD", "/v2/things/1", 405),  # werkzeug adds HEAD to GET rules; the API names none
    ],
)
def test_route_misses_are_errors_in_the_shape(method, path, status):
    with app.test_request_context(path, method=method):
        assert _error(ROUTES.match, flask.request).status == status


def test_a_405_names_the_methods_the_path_allows():
    """RFC 9110: a 405 carries Allow; never the HEAD werkzeug adds to GET rules, which the API
    refuses."""
    routes = Routes(
        {"/v2/things/<thing_id>": ("thing", ("GET", "DELETE")), "/v2/things": ("all", ("POST",))}
    )
    for method, path, allow in (
        ("POST", "/v2/things/1", "DELETE, GET"),
        ("HEAD", "/v2/things/1", "DELETE, GET"),
        ("GET", "/v2/things", "POST"),
    ):
        with app.test_request_context(path, method=method):
            response = error_response(_error(routes.match, flask.request))
        assert response.status_code == 405
        assert response.headers["Allow"] == allow, (method, path)
        assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_other_errors_carry_no_allow_and_keep_retry_after():
    response = error_response(RateLimited("Slow down.", retry_after=3))
    assert response.headers["Retry-After"] == "3" and "Allow" not in response.headers


def test_unexpected_errors_become_a_500_in_the_shape_without_details():
    @handle_errors
    def boom():
        raise RuntimeError("secret internals")

    with app.test_request_context("/"):
        response = boom()
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "internal"
