"""The crisis resources themselves (common/data/crisis_resources.json), as users read them."""

from common.safety import resources_for


def _lines(locale: str | None) -> tuple[str, ...]:
    return resources_for(locale, default_locale="en-US")


def test_a_user_in_japan_is_first_given_a_japanese_line_open_all_night():
    # ja-JP had only TELL: in English, 9-23 (the resources review).
    first = _lines("ja-JP")[0]
    assert "0120-279-338" in first and "24時間" in first


def test_a_japanese_locale_with_no_region_gets_japans_lines_labelled_as_japans():
    # Chrome with a Japanese interface sends "ja,en-US;q=0.9": it named no number at all.
    lines = _lines("ja")
    japan = [line for line in lines if line.startswith("日本国内")]
    assert any("119" in line for line in japan) and any("0120-279-338" in line for line in japan)
    assert any("findahelpline.com" in line for line in lines)  # for the few elsewhere
