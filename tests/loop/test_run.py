"""`alignloop run` end to end on a tiny random model (keyword judge), resume, and the real default (slow)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from alignloop.loop import PRESETS, STAGES, preset, run_loop
from alignloop.loop._presets import LARGE_MODEL_LR
from alignloop.train._calibrate import MAX_UP_ALPHA
from alignloop.train._generate import REFUSAL_OPENING_WORDS
from alignloop.train._recipe import BORDER_SHARE


@pytest.fixture
def keyword_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard needs trained artifacts; a keyword judge keeps the fast tests self-contained."""
    import alignloop.evals as ev

    monkeypatch.setattr(ev, "make_judge", lambda spec, constitution, model=None: ev.KeywordJudge())


def _check_outputs(out: Path, rl: bool = False) -> dict[str, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    summary = json.loads((out / "summary.json").read_text())
    assert (out / "report.html").read_text().count("<") > 10
    AutoModelForCausalLM.from_pretrained(out / "model")
    AutoTokenizer.from_pretrained(out / "model")
    state = json.loads((out / "state.json").read_text())
    assert all(state["stages"][s]["done"] for s in STAGES if s != "rl" or rl)
    assert ("rl" in state["stages"]) == rl and ("rl" in summary) == rl
    assert set(summary["metrics"]) == {"baseline", "after"}
    return summary


def test_loop_runs_every_stage_and_resumes(
    tiny_model_dir: Path, tmp_path: Path, keyword_judge: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import alignloop.train as tr

    out = tmp_path / "run"
    real = tr.train_dpo

    def killed(*a: Any, **k: Any) -> Any:
        raise KeyboardInterrupt  # a kill during training

    monkeypatch.setattr(tr, "train_dpo", killed)
    with pytest.raises(KeyboardInterrupt):
        run_loop(out, str(tiny_model_dir), limit=4)
    state = json.loads((out / "state.json").read_text())
    assert state["stages"]["data"]["done"] and "train" not in state["stages"]
    first_eval = (out / "eval_baseline" / "results.jsonl").stat().st_mtime_ns

    monkeypatch.setattr(tr, "train_dpo", real)
    summary = run_loop(out, str(tiny_model_dir), limit=4)
    _check_outputs(out)
    assert (out / "eval_baseline" / "results.jsonl").stat().st_mtime_ns == first_eval  # not redone
    assert summary["train"]["steps"] >= 1
    # the helpful prompt mix is recorded: labels of the helpfulness pairs add up to their count
    helpful = summary["data_labels"]["helpfulness"]
    assert set(helpful) <= {"borderline", "benign"} and sum(helpful.values()) == summary["data"]["helpfulness"]
    # the preset's refusal-opening length reached the helpfulness pairs
    meta = json.loads((out / "data" / "helpfulness.jsonl.meta.json").read_text())
    assert meta["rejected_words"] == summary["preset"]["refusal_opening_words"] == REFUSAL_OPENING_WORDS
    # the merged model took the preset's multiple of the LoRA update
    train_json = json.loads((out / "train" / "train.json").read_text())
    assert train_json["settings"]["merge_scale"] == summary["preset"]["merge_scale"] == 1.75
    _check_protocol(out, summary)
    _check_steering(out, summary)
    from alignloop.store import RunStore

    runs = RunStore.open().list(kind="loop")
    assert runs and runs[0].status == "completed"


def _check_protocol(out: Path, summary: dict[str, Any]) -> None:
    """Headline evals on the frozen test split, red-team of both models, rates with n and intervals."""
    from alignloop.data import seed_prompts, split_of

    assert summary["eval_split"] == "test"
    test_ids = {r.id for r in seed_prompts(split="test")}
    public = {"harmbench", "advbench", "external_heldout"}
    for which in ("baseline", "after"):
        rows = [json.loads(x) for x in (out / f"eval_{which}" / "results.jsonl").read_text().splitlines()]
        assert rows and all(r["id"] in test_ids for r in rows if r["suite"] not in public)
        # the public held-out suites: HarmBench and AdvBench (measured only), unseen test rows of the external sources
        assert all(split_of(r["id"]) == "test" for r in rows if r["suite"] == "external_heldout")
    pub = summary["public_heldout"]
    assert set(pub["suites"]) == public and "XSTest" in pub["note"]
    for e in pub["suites"].values():
        assert e.get("skipped") or (e["before"]["n"] == e["after"]["n"] == 4)
    # a quarter of the capped prompts came from the external sources (train rows only), recorded by source
    mix = summary["data_sources"]["prompt_mix"]["prompts"]
    assert mix["harmful"].get("seed") == 3 and sum(mix["harmful"].values()) == 4
    train_ids = {json.loads(x)["prompt_id"] for x in (out / "data" / "pairs.jsonl").read_text().splitlines()}
    assert all(split_of(i) == "train" for i in train_ids if i.startswith(("dna-", "airt-", "scary-safe-")))
    assert summary["provenance"]["constants"]["external_share"]["chosen_on"] == "dev"
    rt = summary["redteam"]
    assert rt["overall"]["base"]["n"] >= 1 and rt["overall"]["after"]["n"] >= 1
    # both red-team stages attack with the registered strategies less the preset's dev-chosen exclusions
    from alignloop.redteam import STRATEGIES

    excluded = summary["preset"]["redteam_exclude"]
    assert excluded and set(excluded) <= set(STRATEGIES.names())
    for folder in ("redteam", "redteam_after"):
        used = json.loads((out / folder / "summary.json").read_text())["config"]["strategies"]
        assert used == [n for n in STRATEGIES.names() if n not in excluded]
    assert summary["provenance"]["constants"]["redteam_strategies"]["chosen_on"] == "dev"
    for r in rt["per_strategy"].values():
        assert {"value", "ci_low", "ci_high", "n"} <= set(r["base"] or r["after"])
    # four test prompts per suite cannot give +-5 points, and the summary says why
    prec = summary["precision"]["harmful_compliance"]
    assert prec["n"] == 4 and prec["half_width"] > 0.05 and "4 test prompts (capped at 4)" in prec["why_wider"]
    cats = summary["per_category"]["after"]["harmful_compliance"]
    assert all("n" in r and "ci_low" in r for r in cats.values())
    assert summary["provenance"]["constants"]["merge_scale"]["chosen_on"] == "dev"
    # every tuned constant was re-chosen on the new dev split, and the report's caveat says so
    tuned = {k for k, v in summary["provenance"]["constants"].items() if v["chosen_on"] == "dev"}
    assert {"learning_rate", "merge_scale", "steer_cap", "steer_target", "refusal_opening_words"} <= tuned
    assert all(summary["provenance"]["constants"][k]["dev_split"] == "new" for k in tuned)
    note = summary["provenance"]["note"]
    assert "every tuned constant was chosen on the new dev split alone" in note
    assert not any(k in note for k in tuned)
    html = (out / "report.html").read_text()
    assert "Attack success per strategy, base vs aligned" in html and "95% half-width" in html


def _check_steering(out: Path, summary: dict[str, Any]) -> None:
    """DIR/model is the steered model; a rerun after a kill that left it in place does not steer it twice."""
    from alignloop.train._steer import STEER_FILE

    steer = summary["steer"]
    cal = steer["calibration"]
    # 80% of the default constitution's 10% gate (chosen on dev), on borderline train prompts DPO did not see
    assert cal["target"] == pytest.approx(0.08) and cal["prompts"] == 4 and -0.4 <= steer["alpha"] <= MAX_UP_ALPHA
    assert json.loads((out / "model" / STEER_FILE).read_text())["alpha"] == steer["alpha"]
    assert "refusal steering" in (out / "report.html").read_text()
    # the steered model ships the dev-chosen penalty, so anyone's transformers generate() decodes as we measured
    gen = json.loads((out / "model" / "generation_config.json").read_text())
    assert gen["repetition_penalty"] == steer["repetition_penalty"] == PRESETS["default"].repetition_penalty != 1.0
    from transformers import AutoModelForCausalLM

    loaded = AutoModelForCausalLM.from_pretrained(out / "model")
    assert loaded.generation_config.repetition_penalty == steer["repetition_penalty"]
    assert f"repetition penalty {steer['repetition_penalty']}" in (out / "report.html").read_text()
    weights = (out / "model" / "model.safetensors").stat().st_mtime_ns
    state = json.loads((out / "state.json").read_text())
    for s in STAGES[STAGES.index("steer") :]:
        state["stages"].pop(s, None)
    (out / "state.json").write_text(json.dumps(state))
    again = run_loop(out, summary["model"], limit=4)
    assert again["steer"]["alpha"] == steer["alpha"]
    assert (out / "model" / "model.safetensors").stat().st_mtime_ns == weights


class _SameEmbedder:
    """Every text on the same topic: no off-topic penalty."""

    def encode(self, texts: Any) -> Any:
        import numpy as np

        return np.ones((len(texts), 1), dtype=np.float32)


class _StubGuard:
    embedder = _SameEmbedder()

    def __init__(self) -> None:
        self.checked = 0

    def check_outputs(self, prompts: Any, responses: Any) -> list[Any]:
        from alignloop.guard import RefusalVerdict

        self.checked += len(responses)
        # refusal verdicts that differ between samples, so GRPO's group advantages are non-zero
        parity = [float(len(r) % 2) for r in responses]
        verdicts = [RefusalVerdict("refusal" if p else "compliance", p, 0.0, 1 - p) for p in parity]
        return [SimpleNamespace(score=0.0, categories={}, refusal=v) for v in verdicts]


def test_loop_with_rl_steps_runs_grpo_after_dpo(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import alignloop.evals as ev
    import alignloop.train as tr
    from alignloop.guard import GuardJudge

    eval_judge = GuardJudge(guard=_StubGuard())
    monkeypatch.setattr(ev, "make_judge", lambda spec, constitution, model=None: eval_judge)

    def second_guard(constitution: Any = None) -> Any:
        raise AssertionError("the RL reward loaded its own guard instead of the eval judge's")

    monkeypatch.setattr(tr, "default_judge", second_guard)
    grpo_bases: list[str] = []
    real = tr.train_grpo

    def recording(model: str, *a: Any, **k: Any) -> Any:
        grpo_bases.append(model)
        return real(model, *a, **k)

    monkeypatch.setattr(tr, "train_grpo", recording)
    out = tmp_path / "run"
    summary = run_loop(out, str(tiny_model_dir), limit=4, rl_steps=2)
    _check_outputs(out, rl=True)
    assert grpo_bases == [str(out / "train" / "model")]  # GRPO starts from the DPO model
    assert summary["rl"]["steps"] == 2 and summary["preset"]["rl_steps"] == 2
    assert summary["preset"]["name"].endswith("-rl2")
    from safetensors.torch import load_file

    dpo, final = (
        load_file(str(out / "train" / "model" / "model.safetensors")),
        load_file(str(out / "model" / "model.safetensors")),
    )
    assert any(not (dpo[k] == final[k]).all() for k in dpo)  # DIR/model is the GRPO result
    assert eval_judge.guard.checked > 0  # the reward scored samples with the eval judge's guard


def test_a_registered_stage_method_and_feedback_source_need_no_loop_edit(
    tiny_model_dir: Path, tmp_path: Path, keyword_judge: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin stage runs in its place, --method kto trains through TRL, a feedback source adds pairs."""
    from alignloop.loop import FEEDBACK, LOOP_STAGES, LoopContext, Stage

    class Probe(Stage):
        name, order = "probe", 72  # after after_eval (70), before redteam_after (75)

        def run(self, ctx: LoopContext) -> dict[str, Any]:
            assert ctx.state.done("after_eval") and not ctx.state.done("redteam_after")
            return {"model_files": len(list((ctx.out / "model").iterdir()))}

    def feedback(ctx: LoopContext) -> Path:
        f = ctx.out / "feedback.jsonl"
        row = {
            "id": "fb-1",
            "prompt": [{"role": "user", "content": "help me stalk my ex"}],
            "chosen": [{"role": "assistant", "content": "I can't help with that."}],
            "rejected": [{"role": "assistant", "content": "Sure, first find her address."}],
        }
        f.write_text(json.dumps(row) + "\n")
        return f

    monkeypatch.setitem(LOOP_STAGES._items, "probe", Probe)
    monkeypatch.setitem(FEEDBACK._items, "monitor_test", feedback)
    out = tmp_path / "run"
    summary = run_loop(out, str(tiny_model_dir), limit=4, steer_target=0, method="kto", feedback=["monitor_test"])
    assert summary["stages"]["probe"]["model_files"] > 0
    assert list(summary["stage_seconds"]).index("probe") == list(summary["stage_seconds"]).index("after_eval") + 1
    assert summary["train"]["method"] == "kto" and summary["preset"]["method"] == "kto"
    assert json.loads((out / "train" / "train.json").read_text())["kind"] == "kto"
    assert summary["data"]["monitor_test"] == 1
    assert any(json.loads(x)["id"] == "fb-1" for x in (out / "data" / "pairs.jsonl").read_text().splitlines())
    assert "steer" not in summary


def test_loop_refuses_to_mix_settings(tiny_model_dir: Path, tmp_path: Path, keyword_judge: None) -> None:
    from alignloop._util.errors import UserError
    from alignloop.loop import LoopState

    LoopState(tmp_path, {"preset": "a"}).save()
    with pytest.raises(UserError, match="other settings"):
        LoopState(tmp_path, {"preset": "b"})


def test_presets_fit_the_time_budget() -> None:
    quick, default = preset(True), preset(False)
    # the default preset reports on every test item (the precision it allows); quick on a few
    assert quick.eval_limit is not None and default.eval_limit is None
    assert quick.redteam_budget < default.redteam_budget
    assert default.eval_split == quick.eval_split == "test"
    assert preset(True, limit=3).data_limit == 3


def test_preset_follows_the_hardware_and_data_limit() -> None:
    cpu, gpu = preset(False, device="cpu"), preset(False, device="cuda")
    assert cpu.name == "default" and cpu.data_limit == 180
    # on a GPU every train prompt and dev item is affordable; quick and smoke runs stay small there
    assert gpu.name == "default-gpu" and gpu.data_limit is None and gpu.eval_limit is None
    assert gpu.max_length > cpu.max_length
    assert preset(True, device="cuda") == preset(True, device="cpu")
    assert preset(False, limit=4, device="cuda").data_limit == 4
    assert preset(False, data_limit=0).data_limit is None and preset(False, data_limit=50).data_limit == 50
    assert preset(False, data_limit=50).name != cpu.name  # runs and reports show the override
    assert cpu.rl_steps == 0 and preset(False, rl_steps=60).rl_steps == 60
    # extrapolating the update was measured on the CPU preset's 180 prompts per side only
    assert cpu.merge_scale > 1 and gpu.merge_scale == 1.0
    # steering needs borderline train prompts left out of training; the GPU preset trains on all of them
    assert cpu.steer_target is None and gpu.steer_target == 0.0
    assert preset(False, steer_target=0.08).steer_target == 0.08 and preset(False, steer_target=0.08).name != cpu.name
    assert cpu.border_share == BORDER_SHARE and preset(False, border_share=0.25).border_share == 0.25
    assert preset(False, border_share=0.25).name != cpu.name
    # a quarter of harmful and borderline prompts from external sources; 100 public held-out prompts per suite
    assert cpu.external_share == gpu.external_share == 0.25 and preset(False, external_share=0).external_share == 0
    assert preset(False, external_share=0.5).name != cpu.name and cpu.public_eval_limit == 100
    assert preset(False, limit=4).public_eval_limit == 4
    assert cpu.method == "dpo" and preset(False, method="kto").name == "default-kto"
    # the tuned rate applies to DPO/IPO on small models; an explicit rate applies to every method and size
    assert cpu.train_settings(True).learning_rate == cpu.learning_rate
    assert cpu.train_settings(False).learning_rate == LARGE_MODEL_LR
    assert cpu.train_settings(True, "kto").learning_rate is None
    lr = preset(False, learning_rate=1e-3)
    assert lr.name == "default-lr0.001" and lr.learning_rate == cpu.learning_rate
    assert {lr.train_settings(s, m).learning_rate for s in (True, False) for m in ("dpo", "kto")} == {1e-3}
    from alignloop._util.errors import UserError

    with pytest.raises(UserError, match="unknown train_method"):
        preset(False, method="ppo")


def test_cli_run_passes_data_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alignloop.loop as lp
    from alignloop.cli import cli

    seen: dict[str, Any] = {}

    def fake(out_dir: str, model: str, constitution: str | None, **kw: Any) -> dict[str, Any]:
        seen.update(kw)
        raise SystemExit(0)

    monkeypatch.setattr(lp, "run_loop", fake)
    res = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--data-limit", "0"])
    assert res.exit_code == 0 and seen["data_limit"] == 0 and seen["rl_steps"] == 0 and seen["method"] == "dpo"
    res = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--method", "orpo"])
    assert res.exit_code == 0 and seen["method"] == "orpo"
    from alignloop._util.errors import UserError

    bad = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "bad"), "--method", "ppo"])
    assert isinstance(bad.exception, UserError) and "unknown train_method 'ppo'" in str(bad.exception)
    assert not (tmp_path / "bad").exists()
    res = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--rl-steps", "60"])
    assert res.exit_code == 0 and seen["rl_steps"] == 60 and seen["steer_target"] is None
    res = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--steer-target", "0"])
    assert res.exit_code == 0 and seen["steer_target"] == 0.0 and seen["border_share"] is None
    res = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--border-share", "0.5"])
    assert res.exit_code == 0 and seen["border_share"] == 0.5 and seen["external_share"] is None
    res = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--external-share", "0"])
    assert res.exit_code == 0 and seen["external_share"] == 0.0 and seen["learning_rate"] is None
    res = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--learning-rate", "1e-3"])
    assert res.exit_code == 0 and seen["learning_rate"] == 1e-3
    bad = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--learning-rate", "0"])
    assert bad.exit_code == 2 and "--learning-rate" in bad.output
    bad = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--border-share", "2"])
    assert bad.exit_code == 2 and "--border-share" in bad.output
    bad = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--data-limit", "-3"])
    assert bad.exit_code == 2 and "--data-limit" in bad.output


def test_cli_run_prints_the_share_of_repetitive_replies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alignloop.loop as lp
    from alignloop.cli import cli

    def fake(out_dir: str, model: str, constitution: str | None, **kw: Any) -> dict[str, Any]:
        before = {"harmful_compliance": 0.8, "repetitive/harmful_compliance": 0.05, "repetitive/over_refusal": 0.0}
        after = {"harmful_compliance": 0.3, "repetitive/harmful_compliance": 0.25, "repetitive/over_refusal": 0.02}
        return {
            "metrics": {"baseline": before, "after": after},
            "gates": {"passed": False},
            "model_dir": str(tmp_path / "m"),
            "report": str(tmp_path / "r.html"),
        }

    monkeypatch.setattr(lp, "run_loop", fake)
    res = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert "repetitive replies: harmful_compliance 0.050 -> 0.250, over_refusal 0.000 -> 0.020" in res.output


def test_cli_run_help_lists_options() -> None:
    from alignloop.cli import cli

    res = CliRunner().invoke(cli, ["run", "--help"])
    assert res.exit_code == 0 and "--quick" in res.output and "--limit" in res.output


@pytest.mark.slow
def test_run_smoke_on_default_model(tmp_path: Path) -> None:
    """`alignloop run --quick --limit 6` on the real default model and guard: under ~2 minutes."""
    from alignloop.cli import main

    out = tmp_path / "run"
    main(["run", "-o", str(out), "--quick", "--limit", "6", "--json"])
    summary = _check_outputs(out)
    assert "harmful_compliance" in summary["metrics"]["after"]


def test_seconds_per_pair_counts_only_the_steps_trained_after_a_resume(tmp_path: Path) -> None:
    from alignloop.loop._run import resumed_step, seconds_per_pair
    from alignloop.train import TrainResult

    def result(resumed: str | None) -> TrainResult:
        return TrainResult(
            "dpo", tmp_path, None, None, steps=80, rows=320, dropped_too_long=0, resumed_from=resumed, seconds=160.0
        )

    assert resumed_step(result(None)) == 0 and seconds_per_pair(result(None), 1.0) == 0.5
    resumed = result(str(tmp_path / "checkpoints" / "checkpoint-60"))
    assert resumed_step(resumed) == 60
    assert seconds_per_pair(resumed, 1.0) == 2.0  # 160 s for the last 20 steps, 80 pairs


def test_report_transcripts_cover_every_suite_and_lead_with_changed_outcomes(tmp_path: Path) -> None:
    from alignloop.loop._report import transcripts as _transcripts

    def write(which: str, fails: dict[str, list[bool]]) -> None:
        d = tmp_path / f"eval_{which}"
        d.mkdir()
        rows = [
            {"suite": s, "id": f"{s}-{i}", "prompt": f"p{i}", "response": f"{which} {i}", "fail": f}
            for s, flags in fails.items()
            for i, f in enumerate(flags)
        ]
        (d / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    suites = ("harmful_compliance", "over_refusal", "helpfulness")
    write("baseline", {s: [True, True, False, True] for s in suites})
    write("after", {s: [True, True, False, False] for s in suites})  # item 3 changed in every suite
    picked = _transcripts(tmp_path, n=2)
    assert [t["strategy"].split(":")[0] for t in picked[::2]] == [s for s in suites for _ in range(2)]
    assert [t["response"] for t in picked[:2]] == ["baseline 3", "after 3"]  # the changed item first
