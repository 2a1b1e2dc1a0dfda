"""Generated tokens/s of alignloop's eval generation vs a bare transformers ``generate`` loop.

Both run in this process over the same prompts, batch size and token limit (greedy). alignloop's
path is ``alignloop.evals.generate_file`` (chunked, resumable appends, length-bucketed batches in
HFChatModel); the baseline tokenizes each batch in input order with left padding and calls
``model.generate``. Generated tokens are counted the same way for both (re-tokenizing the decoded
answers). Prints the ratio alignloop / bare (target >= 0.95).

    python benchmarks/eval_throughput.py --n 32 --batch-size 8 --max-new-tokens 64
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--n", type=int, default=32, help="number of prompts")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=2, help="best of N for each side")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from alignloop.data import seed_prompts
    from alignloop.evals import generate_file
    from alignloop.models import load_model

    model = load_model(args.model)
    model.batch_size = args.batch_size  # type: ignore[attr-defined]
    tok, lm = model.tokenizer, model.model  # type: ignore[attr-defined]
    prompts = [r.prompt for r in seed_prompts(split="dev", label="benign")][: args.n]

    def count(texts: list[str]) -> int:
        return sum(len(x) for x in tok(texts, add_special_tokens=False)["input_ids"])

    def bare() -> list[str]:
        out: list[str] = []
        for i in range(0, len(prompts), args.batch_size):
            texts = [
                tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
                for p in prompts[i : i + args.batch_size]
            ]
            enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.inference_mode():
                gen = lm.generate(
                    **enc, max_new_tokens=args.max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id
                )
            out += [t.strip() for t in tok.batch_decode(gen[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)]
        return out

    def ours() -> list[str]:
        with tempfile.TemporaryDirectory() as d:
            src = Path(d) / "p.jsonl"
            src.write_text("".join(json.dumps({"id": str(i), "prompt": p}) + "\n" for i, p in enumerate(prompts)))
            generate_file(model, src, Path(d) / "o.jsonl", max_new_tokens=args.max_new_tokens, chunk_size=len(prompts))
            rows = [json.loads(x) for x in (Path(d) / "o.jsonl").read_text().splitlines()]
        return [r["response"] for r in rows]

    bare()  # warm-up (first call pays allocation and kernel selection)
    best: dict[str, float] = {}
    for _ in range(args.repeats):
        for name, fn in (("bare", bare), ("alignloop", ours)):
            t = time.perf_counter()
            texts = fn()
            dt = time.perf_counter() - t
            best[name] = max(best.get(name, 0.0), count(texts) / dt)
    print(f"prompts={len(prompts)} batch={args.batch_size} max_new_tokens={args.max_new_tokens}")
    print(f"bare transformers generate : {best['bare']:8.1f} tok/s")
    print(f"alignloop eval generation  : {best['alignloop']:8.1f} tok/s")
    print(f"ratio alignloop / bare      : {best['alignloop'] / best['bare']:.2f}  (target >= 0.95)")


if __name__ == "__main__":
    main()
