#!/usr/bin/env python3
"""Train, cross-validate and evaluate the line boilerplate model (cleaner/linemodel.py).

    nice -n 10 python scripts/train_line_model.py [EVAL_DIR] [--out cleaner/models/line_model.json]

EVAL_DIR (default ../shared/eval/boilerplate relative to the repo) holds the
line-labelled sets `<set>.jsonl.gz` and `score.py` (see its README).

What it does (fixed seed, deterministic):

1. Reads the TRAINING sets turku-{de,en,es,fi,fr,sv}, cleaneval-dev and
   cleaneval-final-a.  Dragnet is AGPL-3.0 and is used for evaluation only.
2. Computes cross-document repeats per set file, treating each file as one
   source: repeats[i] = number of OTHER documents of the set containing the
   `textnorm.line_key` of line i (what the pipeline's counter provides).
3. Features for two regimes: repeats known (source_docs = documents in the set)
   and repeats unknown (None, source_docs=1).  Training documents are assigned
   a regime at random (half each) so that the model works in both; 10% of the
   documents are also forced into the `no_lang` regime.
4. Stage 1: weighted L2 logistic regression on the line features.  Stage 2: the
   same features plus the neighbours' stage-1 logits (cross-fitted over two
   document halves so that stage 2 sees honest stage-1 scores), fitted twice:
   as boosted trees (`TREES`, scikit-learn; what decides the output) and as a
   logistic regression (what the duplicate stage judges removals by; with
   `--stage2 logistic` it decides the output too, and scikit-learn is not needed).
   Line weight = its token count (capped), each set weighted equally: the
   metric is bag-of-tokens F1, macro-averaged over sets.
5. Cross-validation: leave-one-set-out over the 8 training sets, and 5-fold
   document-level CV over all of them.  The decision threshold is the largest
   one that keeps token recall >= RECALL_TARGET on every training set under
   document-level CV.
6. Evaluation with the official scorer: writes predictions as JSONL {id, text}
   (lines with P >= threshold removed, never an empty document) and runs
   score.py on them, for the CV predictions and for dragnet (held out).
7. Writes the final model (trained on all training sets) to --out.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cleaner.linemodel import (  # noqa: E402
    CONTEXT_FEATURES,
    FEATURES,
    _Linear,
    _logit,
    _sigmoid,
    batch_features,
    context_features,
)
from cleaner.textnorm import line_key  # noqa: E402
from cleaner.trees import BoostedTrees  # noqa: E402

TRAIN_SETS = [
    "turku-de", "turku-en", "turku-es", "turku-fi", "turku-fr", "turku-sv",
    "cleaneval-dev", "cleaneval-final-a",
]
EVAL_ONLY_SETS = ["dragnet"]  # AGPL-3.0: never trained on
SEED = 20240601
#: Content recall the threshold keeps on every training set under CV: above the
#: 0.95 the benchmark asks of the whole pipeline, because the rules before the
#: model remove some content too (turku-fi through `cleantext run`: 0.948 with
#: the threshold this rule gave at 0.95, 0.950 at 0.955; at 0.96 the threshold
#: jumped from 0.63 to 0.72 and Dragnet, never trained on, fell from 0.923 to 0.909).
RECALL_TARGET = 0.955
TOKEN_CAP = 60.0
L2_STAGE1 = 1e-5
L2_STAGE2 = 1e-5
#: CCNet-style prior added to the logit of lines found in >= 2 other documents of
#: the source when repeats are known (see LineModel).  Neutral on the training
#: sets' doc-level CV (macro F1 0.9269 -> 0.9267 for 0 -> 1.5) because set files
#: are only a weak stand-in for sites; kept as domain knowledge.
REP_PRIOR = {"min_repeats": 2, "logit": 1.5}
P_REPEATS_DROPPED = 0.5
#: Stage 2: "trees" (boosted trees over the stage-2 features, see cleaner/trees.py;
#: needs scikit-learn to train) or "logistic" (the earlier model).
STAGE2 = "trees"
TREES = {"iterations": 60, "depth": 2, "learning_rate": 0.1, "min_samples_leaf": 50}
#: Texts of fewer non-blank lines are scored by the logistic stage (see LineModel):
#: at 12, a lone page with a menu of six items above a short article kept its menu.
TREES_MIN_LINES = 20
P_NO_LANG = 0.1
_TOK = re.compile(r"\w+")


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def read_set(path: Path) -> list[dict]:
    try:
        import orjson
        loads = orjson.loads
    except ImportError:  # pragma: no cover
        loads = json.loads
    with gzip.open(path, "rb") as f:
        return [loads(line) for line in f if line.strip()]


def set_repeats(docs: list[dict]) -> list[list[int]]:
    """Per document and line: in how many OTHER documents of the set the line_key occurs."""
    keys_per_doc = []
    df: Counter = Counter()
    for d in docs:
        keys = [line_key(x) for x in d["text"].split("\n")]
        keys_per_doc.append(keys)
        df.update({k for k in keys if k})
    return [[(df[k] - 1) if k else 0 for k in keys] for keys in keys_per_doc]


class Doc:
    """Features, labels and token weights of one document's non-blank lines."""

    __slots__ = ("id", "set", "lines", "keep", "X_rep", "X_norep", "X_nolang", "y", "tok")

    def __init__(self, rec: dict):
        self.id = rec["id"]
        self.set = rec["set"]
        self.lines = rec["text"].split("\n")


def _split_rows(doc_idx: np.ndarray, line_idx: np.ndarray, X: np.ndarray, n: int):
    bounds = np.searchsorted(doc_idx, np.arange(n + 1))
    return [(line_idx[bounds[i]:bounds[i + 1]], X[bounds[i]:bounds[i + 1]]) for i in range(n)]


def load_sets(eval_dir: Path, names: list[str]) -> dict[str, list[Doc]]:
    out = {}
    for name in names:
        t0 = time.time()
        recs = read_set(eval_dir / f"{name}.jsonl.gz")
        reps = set_repeats(recs)
        docs = [Doc(r) for r in recs]
        nd = len(recs)
        for lo in range(0, nd, 64):
            chunk = docs[lo:lo + 64]
            for attr, items, nolang in (
                ("X_rep", [(d.lines, reps[lo + i], nd) for i, d in enumerate(chunk)], None),
                ("X_norep", [(d.lines, None, 1) for d in chunk], None),
                ("X_nolang", [(d.lines, None, 1) for d in chunk], [True] * len(chunk)),
            ):
                parts = _split_rows(*batch_features(items, nolang), len(chunk))
                for d, (li, X) in zip(chunk, parts):
                    d.keep = li.tolist()
                    setattr(d, attr, X)
        for d, r in zip(docs, recs):
            labels = r["labels"]
            d.y = np.array([1 - labels[i] for i in d.keep], dtype=np.float64)  # 1 = boilerplate
            d.tok = np.array([len(_TOK.findall(d.lines[i].lower())) for i in d.keep], dtype=np.float64)
        out[name] = docs
        print(f"  {name}: {nd} docs, {sum(len(d.keep) for d in docs)} lines ({time.time() - t0:.1f}s)",
              file=sys.stderr)
    return out


# ---------------------------------------------------------------------------
# Logistic regression (weighted, L2, L-BFGS)
# ---------------------------------------------------------------------------

#: Sign constraints (domain knowledge, so that a quirk of the training labels
#: cannot turn a signal around): +1 = may only push towards boilerplate,
#: -1 = may only push towards content.  Unlisted features are free.
SIGNS = {
    **{f: +1 for f in (
        "counter_like", "date_short", "shape_rep", "price", "copyright", "url", "end_ellipsis", "log_separators",
        "dup_not_first", "rep_any", "rep_log", "rep_long", "win_rep", "short_run", "plain_run",
        "win_short", "win_titlelike", "foreign_share", "words_le2",
        "ctx_prev", "ctx_next", "ctx_win3", "ctx_win10",
    )},
    **{f: -1 for f in ("end_sentence", "stop_share_x_long", "log_sentence_marks", "win_prose", "commas_per_word")},
}


def fit_logreg(X: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float, names) -> dict:
    mean = np.average(X, axis=0, weights=w)
    scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=w))
    scale = np.where(scale > 1e-6, scale, 1.0)
    Z = (X - mean) / scale
    wn = w / w.sum()
    d = Z.shape[1]

    def f(theta):
        b, beta = theta[0], theta[1:]
        z = Z @ beta + b
        # log(1 + e^z) - y z, stable
        loss = np.sum(wn * (np.logaddexp(0.0, z) - y * z)) + 0.5 * l2 * beta @ beta
        g = wn * (_sigmoid(z) - y)
        grad = np.concatenate(([g.sum()], Z.T @ g + l2 * beta))
        return loss, grad

    bounds = [(None, None)] + [
        (0.0, None) if SIGNS.get(n) == 1 else (None, 0.0) if SIGNS.get(n) == -1 else (None, None) for n in names
    ]
    res = minimize(f, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 3000, "gtol": 1e-7})
    return {
        "features": list(names),
        "bias": round(float(res.x[0]), 6),
        "weights": [round(float(v), 6) for v in res.x[1:]],
        "means": [round(float(v), 6) for v in mean],
        "scales": [round(float(v), 6) for v in scale],
    }


def pick_X(doc: Doc, regime: str) -> np.ndarray:
    return {"rep": doc.X_rep, "norep": doc.X_norep, "nolang": doc.X_nolang}[regime]


def training_regimes(docs: list[Doc], rng: np.random.Generator) -> list[str]:
    out = []
    for _ in docs:
        u = rng.random()
        out.append("nolang" if u < P_NO_LANG else ("norep" if u < P_NO_LANG + P_REPEATS_DROPPED else "rep"))
    return out


def _raw_weight(tok: np.ndarray) -> np.ndarray:
    return np.sqrt(np.minimum(tok, TOKEN_CAP) + 0.5)


def line_weights(docs: list[Doc]) -> np.ndarray:
    """sqrt(tokens) line weights, each set normalised to the same total (macro-F1 over sets).

    The metric counts tokens, so long lines matter more; the square root keeps
    the many short lines (menus) from being ignored.
    """
    sets = sorted({d.set for d in docs})
    totals = {s: sum(float(_raw_weight(d.tok).sum()) for d in docs if d.set == s) for s in sets}
    ws = [_raw_weight(d.tok) / totals[d.set] for d in docs]
    return np.concatenate(ws) if ws else np.zeros(0)


def train(docs: list[Doc], seed: int = SEED, stage2: str = STAGE2) -> dict:
    """Fit both stages on `docs`; returns the model spec (without threshold)."""
    rng = np.random.default_rng(seed)
    regimes = training_regimes(docs, rng)
    Xs = [pick_X(d, r) for d, r in zip(docs, regimes)]
    X = np.vstack(Xs)
    y = np.concatenate([d.y for d in docs])
    w = line_weights(docs)
    s1 = fit_logreg(X, y, w, L2_STAGE1, FEATURES)
    # Cross-fitted stage-1 logits: stage 1 trained on one half scores the other.
    half = rng.random(len(docs)) < 0.5
    specs = []
    for part in (half, ~half):
        idx = np.flatnonzero(~part)
        Xp = np.vstack([Xs[i] for i in idx])
        yp = np.concatenate([docs[i].y for i in idx])
        wp = line_weights([docs[i] for i in idx])
        specs.append(fit_logreg(Xp, yp, wp, L2_STAGE1, FEATURES))
    X2s = []
    for i, (d, Xd) in enumerate(zip(docs, Xs)):
        lin = _Linear(specs[0] if half[i] else specs[1], FEATURES)
        X2s.append(np.hstack([Xd, _ctx(lin.logits(Xd))]))
    X2 = np.vstack(X2s)
    s2 = fit_logreg(X2, y, w, L2_STAGE2, FEATURES + CONTEXT_FEATURES)
    if stage2 == "trees":  # the logistic stage stays, for the duplicate stage (see LineModel.comparison)
        return {"stage1": s1, "stage2": s2, "stage2_trees": fit_trees(X2, y, w)}
    return {"stage1": s1, "stage2": s2}


def fit_trees(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict:
    """Boosted regression trees (scikit-learn's histogram gradient boosting,
    log loss, the line weights) exported as the arrays `cleaner.trees` reads.

    Each node's `value` is the mean output of the training lines that reached
    it (count-weighted over its leaves): what the explanation credits each
    split with.  scikit-learn sends x <= threshold left; `cleaner.trees` sends
    x > threshold right: the same split."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError:  # pragma: no cover
        sys.exit("training the tree stage needs scikit-learn: pip install -e '.[train]'")
    clf = HistGradientBoostingClassifier(
        max_iter=TREES["iterations"], max_depth=TREES["depth"], learning_rate=TREES["learning_rate"],
        min_samples_leaf=TREES["min_samples_leaf"], early_stopping=False, random_state=0)
    clf.fit(X, y, sample_weight=w * len(w))
    trees = []
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        count = nodes["count"].astype(np.float64)
        value = np.where(leaf, nodes["value"], 0.0)

        def mean(i: int) -> tuple[float, float]:  # (sum of count * leaf value, count) below node i
            if leaf[i]:
                return value[i] * count[i], count[i]
            a, b = mean(int(nodes["left"][i])), mean(int(nodes["right"][i]))
            total = a[1] + b[1]
            value[i] = (a[0] + b[0]) / total if total else 0.0
            return a[0] + b[0], total

        mean(0)
        trees.append({
            "feature": [-1 if leaf[i] else int(nodes["feature_idx"][i]) for i in range(len(nodes))],
            "threshold": [0.0 if leaf[i] else float(nodes["num_threshold"][i]) for i in range(len(nodes))],
            "left": [0 if leaf[i] else int(nodes["left"][i]) for i in range(len(nodes))],
            "right": [0 if leaf[i] else int(nodes["right"][i]) for i in range(len(nodes))],
            "value": [round(float(v), 9) for v in value],
        })
    return {"features": list(FEATURES + CONTEXT_FEATURES), "baseline": float(clf._baseline_prediction.ravel()[0]),
            "trees": trees, "training": dict(TREES)}


def _ctx(z1: np.ndarray) -> np.ndarray:
    return context_features(z1, np.zeros(z1.shape[0], dtype=np.int64), 1)


_SCORERS: dict[int, tuple] = {}  # id(spec) -> (spec, stage 1, logistic stage 2, trees or None)


def _scorers(spec: dict) -> tuple:
    """A spec's stages, built once (a CV run predicts thousands of documents per spec)."""
    built = _SCORERS.get(id(spec))
    if built is None or built[0] is not spec:
        trees = spec.get("stage2_trees")
        built = _SCORERS[id(spec)] = (
            spec, _Linear(spec["stage1"], FEATURES), _Linear(spec["stage2"], FEATURES + CONTEXT_FEATURES),
            BoostedTrees(trees, FEATURES + CONTEXT_FEATURES) if trees is not None else None)
    return built[1:]


def predict(spec: dict, doc: Doc, regime: str, stage2: str = "trees") -> np.ndarray:
    """P(boilerplate) of the doc's non-blank lines by the trees (when the spec
    has them and `stage2` is "trees") or by the logistic second stage (same
    math as LineModel.forward, short texts aside: see `combined`)."""
    stage1, logistic, trees = _scorers(spec)
    X = pick_X(doc, regime)
    X2 = np.hstack([X, _ctx(stage1.logits(X))])
    if trees is not None and stage2 == "trees":
        z = trees.logits(X2.T.astype(np.float64))
    else:
        z = logistic.logits(X2)
    if regime == "rep" and X.shape[0]:
        z = z + REP_PRIOR["logit"] * (X[:, FEATURES.index("rep_log")] >= np.log1p(REP_PRIOR["min_repeats"]) - 1e-4)
    return _sigmoid(z)


def combined(trees: np.ndarray, logistic: np.ndarray, doc: Doc, threshold: float, logistic_threshold: float):
    """What LineModel scores: the trees' P, or on a text of fewer than
    TREES_MIN_LINES non-blank lines the logistic stage's, its logit moved so
    that its threshold falls on the trees'."""
    if len(doc.keep) >= TREES_MIN_LINES:
        return trees
    shift = _logit(threshold) - _logit(logistic_threshold)
    p = np.clip(logistic, 1e-12, 1.0 - 1e-12)
    return _sigmoid(np.log(p / (1.0 - p)) + shift)


# ---------------------------------------------------------------------------
# Thresholds and scoring
# ---------------------------------------------------------------------------

def min_threshold_for_recall(probs: list[np.ndarray], docs: list[Doc], target: float) -> float:
    """Smallest threshold t such that token recall of content (P < t kept) >= target."""
    p = np.concatenate(probs)
    y = np.concatenate([d.y for d in docs])
    t = np.concatenate([d.tok for d in docs])
    c = (y == 0) & (t > 0)
    p, t = p[c], t[c]
    order = np.argsort(p)
    cum = np.cumsum(t[order]) / max(t.sum(), 1.0)
    k = int(np.searchsorted(cum, target))  # need lines order[0..k] kept
    k = min(k, len(order) - 1)
    return float(p[order[k]]) + 1e-6


def line_metrics(probs, docs, thr):
    """Approximate token P/R/F1 from line labels (score.py gives the official numbers)."""
    p = np.concatenate(probs)
    y = np.concatenate([d.y for d in docs])
    t = np.concatenate([d.tok for d in docs])
    kept = p < thr
    tp = float(t[kept & (y == 0)].sum())
    prec = tp / max(float(t[kept].sum()), 1.0)
    rec = tp / max(float(t[y == 0].sum()), 1.0)
    return prec, rec, 2 * prec * rec / max(prec + rec, 1e-9)


def cleaned_text(doc: Doc, probs: np.ndarray, thr: float) -> str:
    keep = probs < thr
    if len(keep) and not keep.any():
        keep = probs <= probs.min() + 1e-9
    return "\n".join(doc.lines[doc.keep[j]] for j in np.flatnonzero(keep))


def run_scorer(eval_dir: Path, sets: list[str], preds: dict[str, str], label: str, outdir: Path) -> str:
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"pred-{label}.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i, text in preds.items():
            f.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
    files = [str(eval_dir / f"{s}.jsonl.gz") for s in sets]
    res = subprocess.run([sys.executable, str(eval_dir / "score.py"), *files, "--pred", str(path)],
                         capture_output=True, text=True)
    return res.stdout + res.stderr


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("eval_dir", nargs="?", default=str(REPO.parent / "shared" / "eval" / "boilerplate"))
    ap.add_argument("--out", default=str(REPO / "cleaner" / "models" / "line_model.json"))
    ap.add_argument("--pred-dir", default=None, help="where to write prediction JSONL (default: a temp dir)")
    ap.add_argument("--no-cv", action="store_true", help="skip cross-validation (faster)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--loso-models", type=Path, default=None,
                    help="also write each leave-one-set-out model to DIR/<set>.json (with the final threshold), "
                         "so that benchmarks/bench_boilerplate.py --held-out-models DIR can score every "
                         "training set with a model that never saw it")
    ap.add_argument("--stage2", choices=("trees", "logistic"), default=STAGE2,
                    help="second stage: boosted trees (default; needs scikit-learn) or logistic regression")
    args = ap.parse_args(argv)
    eval_dir = Path(args.eval_dir).resolve()
    pred_dir = Path(args.pred_dir) if args.pred_dir else Path(tempfile.mkdtemp(prefix="linemodel-"))

    print("loading and featurising ...", file=sys.stderr)
    data = load_sets(eval_dir, TRAIN_SETS + EVAL_ONLY_SETS)
    train_docs = [d for s in TRAIN_SETS for d in data[s]]
    report: dict = {}

    def thresholds_for_recall(probs: dict, stage2: str) -> float:
        """The largest threshold keeping recall >= RECALL_TARGET on every
        training set in both regimes, for one second stage's probabilities."""
        needed = {}
        for reg in ("rep", "norep"):
            for s in TRAIN_SETS:
                docs = data[s]
                needed[(reg, s)] = min_threshold_for_recall([probs[stage2][reg][d.id] for d in docs], docs,
                                                            RECALL_TARGET)
        report[f"threshold_needed_per_set_{stage2}"] = {f"{r}/{s}": round(v, 4) for (r, s), v in needed.items()}
        return round(min(max(needed.values()), 0.99), 4)

    stages = ("trees", "logistic") if args.stage2 == "trees" else ("logistic",)
    cv_probs = {st: {"rep": {}, "norep": {}} for st in stages}
    if not args.no_cv:
        # -- leave-one-set-out ----------------------------------------------------------
        loso_probs = {st: {"rep": {}, "norep": {}} for st in stages}
        loso_specs = {}
        for s in TRAIN_SETS:
            spec = loso_specs[s] = train([d for d in train_docs if d.set != s], stage2=args.stage2)
            for st in stages:
                for reg in ("rep", "norep"):
                    for d in data[s]:
                        loso_probs[st][reg][d.id] = predict(spec, d, reg, st)
        # -- document-level k-fold --------------------------------------------------------
        rng = np.random.default_rng(SEED + 1)
        fold = rng.integers(0, args.folds, len(train_docs))
        for k in range(args.folds):
            spec = train([d for d, f in zip(train_docs, fold) if f != k], stage2=args.stage2)
            for d, f in zip(train_docs, fold):
                if f == k:
                    for st in stages:
                        for reg in ("rep", "norep"):
                            cv_probs[st][reg][d.id] = predict(spec, d, reg, st)
        # -- thresholds from doc-level CV (the stricter of the two regimes) -------------------
        thresholds = {st: thresholds_for_recall(cv_probs, st) for st in stages}
        print(f"threshold for recall>={RECALL_TARGET} on every set (doc-CV, both regimes): {thresholds}")

    # -- final model -----------------------------------------------------------------
    final = train(train_docs, stage2=args.stage2)
    if args.no_cv:
        in_sample = {st: {reg: {d.id: predict(final, d, reg, st) for d in train_docs} for reg in ("rep", "norep")}
                     for st in stages}
        thresholds = {st: thresholds_for_recall(in_sample, st) for st in stages}
    threshold = thresholds[stages[0]]
    if args.stage2 == "trees":
        short_texts = {"logistic_threshold": thresholds["logistic"], "trees_min_lines": TREES_MIN_LINES}

        def scored(probs: dict, reg: str, d: Doc) -> np.ndarray:
            return combined(probs["trees"][reg][d.id], probs["logistic"][reg][d.id], d, threshold,
                            thresholds["logistic"])
    else:
        short_texts = {}

        def scored(probs: dict, reg: str, d: Doc) -> np.ndarray:
            return probs["logistic"][reg][d.id]

    if not args.no_cv:
        loso_scored = {reg: {d.id: scored(loso_probs, reg, d) for d in train_docs} for reg in ("rep", "norep")}
        cv_scored = {reg: {d.id: scored(cv_probs, reg, d) for d in train_docs} for reg in ("rep", "norep")}
    if args.loso_models is not None and not args.no_cv:
        args.loso_models.mkdir(parents=True, exist_ok=True)
        for s, spec in loso_specs.items():
            held_out = {"format": "cleantext-line-model/1", "held_out_set": s, "threshold": threshold,
                        "rep_prior": REP_PRIOR, **short_texts, **spec}
            (args.loso_models / f"{s}.json").write_text(json.dumps(held_out) + "\n", encoding="utf-8")
        print(f"wrote {len(loso_specs)} leave-one-set-out models to {args.loso_models}", file=sys.stderr)
    dragnet_raw = {st: {reg: {d.id: predict(final, d, reg, st) for d in data["dragnet"]} for reg in ("rep", "norep")}
                   for st in stages}
    dragnet_probs = {reg: {d.id: scored(dragnet_raw, reg, d) for d in data["dragnet"]} for reg in ("rep", "norep")}

    # -- official scores ---------------------------------------------------------------
    tables = {}

    def score(label, sets, probs_by_id):
        preds = {}
        for s in sets:
            for d in data[s]:
                preds[d.id] = cleaned_text(d, probs_by_id[d.id], threshold)
        out = run_scorer(eval_dir, sets, preds, label, pred_dir)
        tables[label] = out
        print(f"\n== {label} ==\n{out}")

    if not args.no_cv:
        for reg in ("rep", "norep"):
            print(f"\napprox line-token metrics, regime={reg}")
            for s in TRAIN_SETS:
                docs = data[s]
                for name, pr in (("loso", loso_scored), ("docCV", cv_scored)):
                    P, R, F = line_metrics([pr[reg][d.id] for d in docs], docs, threshold)
                    print(f"  {s:18s} {name:5s} P={P:.3f} R={R:.3f} F1={F:.3f}")
        score("docCV-rep", TRAIN_SETS, cv_scored["rep"])
        score("docCV-norep", TRAIN_SETS, cv_scored["norep"])
        score("loso-rep", TRAIN_SETS, loso_scored["rep"])
        score("loso-norep", TRAIN_SETS, loso_scored["norep"])
    score("dragnet-heldout-rep", EVAL_ONLY_SETS, dragnet_probs["rep"])
    score("dragnet-heldout-norep", EVAL_ONLY_SETS, dragnet_probs["norep"])

    def parse(table: str) -> dict:
        rows = {}
        for line in table.splitlines():
            parts = line.split()
            if len(parts) == 8 and parts[1] in ("*",) or (len(parts) == 8 and parts[0] in TRAIN_SETS + EVAL_ONLY_SETS):
                try:
                    rows[parts[0]] = {"P": float(parts[4]), "R": float(parts[5]), "F1": float(parts[6]),
                                      "empty_pct": float(parts[7])}
                except ValueError:
                    pass
            if line.startswith("macro_f1="):
                rows["macro_f1"] = float(line.split("=")[1])
        return rows

    spec = {
        "format": "cleantext-line-model/1",
        "description": ("Logistic regression over cheap line features, then "
                        + ("boosted trees" if args.stage2 == "trees" else "a second logistic regression")
                        + " over them and the neighbours' first-stage scores; P(boilerplate) per line."),
        "training_data": (
            "TurkuNLP text-quality line annotations (turku-de/en/es/fi/fr/sv, OSCAR text) and CleanEval "
            "(cleaneval-dev, cleaneval-final-a) as line-labelled sets; dragnet (AGPL-3.0) NOT used for "
            "training, only for held-out evaluation. Repeats computed per set file (one source per file); "
            f"{int(P_REPEATS_DROPPED * 100)}% of documents trained with repeats unknown, "
            f"{int(P_NO_LANG * 100)}% in the no-stop-list regime. Line weight = sqrt(tokens, cap "
            f"{int(TOKEN_CAP)}), sets weighted equally. Seed {SEED}."
        ),
        "threshold": threshold,
        "threshold_rule": f"largest threshold with token recall >= {RECALL_TARGET} on every training set "
                          "under 5-fold document-level CV, in both repeat regimes (logistic_threshold: the same "
                          "rule for the logistic second stage)",
        "rep_prior": REP_PRIOR,
        **short_texts,
        **final,
        "metrics": {label: parse(t) for label, t in tables.items()},
        **({"cv": report} if report else {}),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"\nwrote {args.out} (threshold {threshold}); predictions in {pred_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
