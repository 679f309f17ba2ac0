"""TF-IDF features in plain Python + numpy, identical to the scikit-learn vectorisers we train with.

Why: the serving container has no scikit-learn, so a head that uses TF-IDF ships its vocabulary
and idf in the artifact and is transformed here. Training fits
`TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=TOKEN_PATTERN)` and
`TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5))` (both lowercase, sublinear_tf, l2 norm,
smooth idf) and stacks them; `python -m model_serving.features` checks this module against
scikit-learn on the corpus (run it in .venv-model).
"""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np

TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # noqa: S105 - a regex, not a secret
_TOKEN = re.compile(TOKEN_PATTERN)
_WHITE = re.compile(r"\s\s+")


def word_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """sklearn's analyzer="word": lowercase, token_pattern, then n-grams joined by a space."""
    tokens = _TOKEN.findall(text.lower())
    out = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi, len(tokens)) + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_wb_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """sklearn's analyzer="char_wb": n-grams inside each space-padded word."""
    out = []
    for w in _WHITE.sub(" ", text.lower()).split():
        w = f" {w} "
        length = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            out.append(w[offset : offset + n])
            while offset + n < length:
                offset += 1
                out.append(w[offset : offset + n])
            if offset == 0:  # a word shorter than n counts once
                break
    return out


class TfidfBlock:
    """One fitted vectoriser: vocabulary (term -> column) and idf."""

    def __init__(
        self,
        analyzer: str,
        ngram_range: tuple[int, int],
        vocabulary: list[str],
        idf: np.ndarray,
        sublinear_tf: bool = True,
    ) -> None:
        self.analyzer = analyzer
        self.lo, self.hi = ngram_range
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.sublinear_tf = sublinear_tf
        self.size = len(vocabulary)

    def terms(self, text: str) -> list[str]:
        if self.analyzer == "word":
            return word_ngrams(text, self.lo, self.hi)
        if self.analyzer == "char_wb":
            return char_wb_ngrams(text, self.lo, self.hi)
        raise ValueError(f"unknown analyzer {self.analyzer!r}")

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, l2-normalised tf-idf values) of one text: a sparse row."""
        counts: dict[int, int] = {}
        for term in self.terms(text):
            j = self.index.get(term)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        cols = np.fromiter(counts.keys(), np.int64, len(counts))
        tf = np.fromiter(counts.values(), np.float64, len(counts))
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        values = tf * self.idf[cols]
        return cols, values / np.linalg.norm(values)


class Tfidf:
    """The stacked blocks: a text becomes [word block | char block], each block l2-normalised."""

    def __init__(self, blocks: list[TfidfBlock]) -> None:
        self.blocks = blocks
        self.offsets = np.cumsum([0] + [b.size for b in blocks])
        self.size = int(self.offsets[-1])

    def rows(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for text in texts:
            parts = [b.row(text) for b in self.blocks]
            cols = np.concatenate(
                [c + off for (c, _), off in zip(parts, self.offsets, strict=False)]
            )
            out.append((cols, np.concatenate([v for _, v in parts])))
        return out

    def dense(self, texts: list[str]) -> np.ndarray:
        x = np.zeros((len(texts), self.size), np.float64)
        for i, (cols, values) in enumerate(self.rows(texts)):
            x[i, cols] = values
        return x

    def matmul(self, texts: list[str], weights: np.ndarray) -> np.ndarray:
        """X @ weights.T without building X: (n_texts, n_outputs). weights is (n_outputs, size)."""
        out = np.zeros((len(texts), weights.shape[0]), np.float64)
        for i, (cols, values) in enumerate(self.rows(texts)):
            out[i] = weights[:, cols] @ values
        return out

    def to_arrays(self, prefix: str = "tfidf") -> dict[str, np.ndarray]:
        arrays = {}
        for n, b in enumerate(self.blocks):
            terms = sorted(b.index, key=b.index.__getitem__)
            arrays[f"{prefix}_{n}_vocab"] = np.array(terms, dtype=np.str_)
            arrays[f"{prefix}_{n}_idf"] = b.idf
        return arrays

    def config(self) -> list[dict]:
        return [
            {"analyzer": b.analyzer, "ngram_range": [b.lo, b.hi], "sublinear_tf": b.sublinear_tf}
            for b in self.blocks
        ]

    @classmethod
    def from_arrays(cls, config: list[dict], arrays: dict, prefix: str = "tfidf") -> Tfidf:
        blocks = []
        for n, c in enumerate(config):
            vocab = [str(t) for t in arrays[f"{prefix}_{n}_vocab"]]
            blocks.append(
                TfidfBlock(
                    c["analyzer"],
                    tuple(c["ngram_range"]),
                    vocab,
                    arrays[f"{prefix}_{n}_idf"],
                    c["sublinear_tf"],
                )
            )
        return cls(blocks)


def sklearn_vectorizers(min_df: int = 2) -> list:
    """The scikit-learn twins of the blocks (training only: imports sklearn)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    common = {"lowercase": True, "sublinear_tf": True, "min_df": min_df, "dtype": np.float64}
    return [
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=TOKEN_PATTERN, **common),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common),
    ]


def from_sklearn(vectorizers: list) -> Tfidf:
    blocks = []
    for v in vectorizers:
        vocab = [t for t, _ in sorted(v.vocabulary_.items(), key=lambda item: item[1])]
        blocks.append(TfidfBlock(v.analyzer, v.ngram_range, vocab, v.idf_, v.sublinear_tf))
    return Tfidf(blocks)


def max_difference_to(tfidf: Tfidf, texts: list[str], reference: Any, chunk: int = 256) -> float:
    """The largest |tfidf(texts) - reference| (a sparse matrix, one CSR row per text), compared
    a chunk of rows at a time: dense, the whole corpus's features took 20 GB at 14,000 texts."""
    worst = 0.0
    for i in range(0, len(texts), chunk):
        ours = tfidf.dense(texts[i : i + chunk])
        worst = max(worst, float(np.abs(ours - reference[i : i + chunk].toarray()).max()))
    return worst


def max_difference(texts: list[str], fit_texts: list[str]) -> float:
    """Fit sklearn on fit_texts, then the largest |sklearn - numpy| over texts' features."""
    import scipy.sparse as sp

    vectorizers = sklearn_vectorizers()
    for v in vectorizers:
        v.fit(fit_texts)
    reference = sp.hstack([v.transform(texts) for v in vectorizers]).tocsr()
    return max_difference_to(from_sklearn(vectorizers), texts, reference)


def main(argv: list[str]) -> int:
    from model_serving.check_corpus import CORPUS, load

    records, _ = load(sorted(CORPUS.glob("*.jsonl")))
    texts = [r["text"] for r in records]
    extra = [
        "",
        "   ",
        "ok",
        "a",
        "Ünïcödé   tabs\tand\nnewlines",
        "😭😭 why",
        "x" * 4000,
        "I  can't   do  this!!! it's 3am",
        "C++ vs C# vs F#? 100% sure",
    ]
    half = texts[::2] or extra
    diff = max(max_difference(texts + extra, half), max_difference(extra, extra + half))
    print(
        f"numpy vs scikit-learn TF-IDF on {len(texts) + len(extra)} texts: max |diff| = {diff:.2e}"
    )
    return 0 if diff < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
