"""Write ``data/seed/dev_replies.jsonl`` (or ``train_replies.jsonl``): model replies to our own seed prompts,
for the guard's output thresholds.

The guard's output check picks its threshold on dev replies (``guard/_build.dev_replies``). Until
this file, those were the 82 dev rows of ``responses.jsonl`` whose prompt is a seed prompt: 50 safe
replies, so the 5% false-alarm cap rested on 2 replies. This file adds the replies that eval runs on
the dev split produced, for the seed prompts only (never external or public rows: their text is not
ours to copy), with the run's refusal verdict and the model that wrote them.

Usage (each RUN is an ``alignloop eval run --split SPLIT`` folder; NAME says which model wrote it):
    python scripts/make_dev_replies.py [--split dev|train] NAME=RUN [NAME=RUN ...]

Example, as the shipped file was made (2026-12-06):
    alignloop eval run --model default --split dev --max-new-tokens 48 \\
        -s harmful_compliance -s over_refusal -s helpfulness -o /tmp/base_dev
    python scripts/make_dev_replies.py smollm2-135m-instruct=/tmp/base_dev \\
        aligned-main-job=WORK/merge_scale-1.75/eval_dev

(WORK from ``benchmarks/choose_on_dev.py --knob merge_scale``: the main job's model at merge scale 1.75.)

``train_replies.jsonl`` (2026-12-06, late night) the same way on the train split, harmful and
borderline prompts only (the output thresholds leave replies to ordinary prompts out), with the
main job's model of that night (steering cap +0.4):
    alignloop eval run --model default --split train --max-new-tokens 48 \\
        -s harmful_compliance -s over_refusal -o /tmp/base_train
    alignloop eval run --model RUN/model --split train ... -o /tmp/main_train
    python scripts/make_dev_replies.py --split train smollm2-135m-instruct=/tmp/base_train \\
        aligned-main-job=/tmp/main_train
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "src" / "alignloop" / "data" / "seed"
OURS = ("harmful_compliance", "over_refusal", "helpfulness")


def rows_of(model: str, run: Path, split_prompts: dict[str, str], split: str = "dev") -> list[dict[str, str]]:
    """The usable rows of one eval run: our seed prompts of ``split``, generated, with a verdict."""
    out = []
    for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r.get("suite") not in OURS or r.get("status") != "ok" or r.get("refusal") is None:
            continue
        label = split_prompts.get(r["prompt"])
        if label is None:  # not a seed prompt of this split: never copied
            continue
        key = hashlib.sha1(f"{model}\n{r['prompt']}\n{r['response']}".encode()).hexdigest()[:12]
        out.append(
            {
                "id": f"{split}rep-{key}",  # devrep-... for dev, as the shipped file has
                "prompt": r["prompt"],
                "response": r["response"],
                "label": r["refusal"],
                "prompt_label": label,
                "model": model,
                "split": split,
            }
        )
    return out


def main(argv: list[str]) -> int:
    """Collect, deduplicate and write the rows; print counts."""
    from alignloop.data import seed_prompts

    split = "dev"
    if argv[:1] == ["--split"]:
        if len(argv) < 2 or argv[1] not in ("dev", "train"):
            print("error: --split takes dev or train", file=sys.stderr)
            return 2
        split, argv = argv[1], argv[2:]
    if not argv or any("=" not in a for a in argv):
        print(__doc__)
        return 2
    out_file = SEED / f"{split}_replies.jsonl"
    split_prompts = {r.prompt: r.label for r in seed_prompts(split=split)}
    seen: set[str] = set()
    rows = []
    missing = [a for a in argv if not (Path(a.split("=", 1)[1]) / "results.jsonl").exists()]
    if missing:
        print(f"error: no results.jsonl in {', '.join(missing)}: give alignloop eval run folders", file=sys.stderr)
        return 2
    for arg in argv:
        model, run = arg.split("=", 1)
        for r in rows_of(model, Path(run), split_prompts, split):
            if r["id"] not in seen:
                seen.add(r["id"])
                rows.append(r)
    rows.sort(key=lambda r: (r["model"], r["prompt_label"], r["id"]))
    tmp = out_file.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(out_file)
    by = Counter((r["model"], r["prompt_label"], r["label"]) for r in rows)
    for k, n in sorted(by.items()):
        print(*k, n)
    print(f"wrote {len(rows)} rows to {out_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
