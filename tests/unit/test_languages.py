"""common.languages.not_english over the labelled corpus: every record is English, and none
may be told "I can only reply in English" or ranked as a message the model cannot read."""

import json

from common.languages import not_english
from model_serving.check_corpus import CORPUS


def test_no_english_message_of_the_corpus_is_taken_for_another_language() -> None:
    texts = [
        json.loads(line)["text"]
        for path in sorted(CORPUS.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(texts) > 19_000
    assert [t for t in texts if not_english(t)] == []
