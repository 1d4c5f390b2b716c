#!/usr/bin/env python3
"""Loads a run's dictionaries with SAELens and compares them with dictlab.

Usage: check_saelens.py --tool DUMP_TOOL [--contexts N] RUN_DIR [STAGE...]

For every dictionary stage of RUN_DIR (or the STAGEs named), DUMP_TOOL
(build/dump_dictionary_codes) writes what dictlab's C++ code
gives on the held-out windows sae_metrics measures: the activations at the
dictionary's hook, its codes and reconstructions, and the model's loss clean,
spliced and zero-ablated. The tool finds the dictionary stages, their model
and their tokens through the stages' manifests and the plugins' kinds, so a
new architecture needs no change here.

Then, as a user would, with nothing adapted: `sae_lens.SAE.load_from_disk`
on the stage folder, the toy model as a TransformerLens `HookedTransformer`
from its stage folder (README, "TransformerLens"), the same tokens through
TransformerLens, SAELens' codes and reconstruction of dictlab's activations,
and the loss with SAELens' reconstruction spliced in at the hook. Prints one
row per stage; exits 1 when the two disagree beyond float32 rounding.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# float32 folding of the activation scale into the weights, and a different
# summation order, move codes by a few ulps of their size, not more.
RELATIVE_TOLERANCE = 1e-4
LOSS_RECOVERED_TOLERANCE = 1e-3


def load_model(model_dir: Path):
    """The toy transformer exactly as README.md shows it."""
    from safetensors.torch import load_file
    from transformer_lens import HookedTransformer, HookedTransformerConfig
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    config = HookedTransformerConfig(**json.load(open(model_dir / "transformer_lens_config.json")))
    model = HookedTransformer(config, tokenizer=tokenizer)
    model.load_state_dict(load_file(str(model_dir / "model.safetensors")), strict=False)
    return model.eval()


def reported_loss_recovered(run_dir: Path, stage: str):
    """What the run's evaluators of this dictionary reported in their manifests."""
    for manifest_file in sorted((run_dir / "stages").glob("*/manifest.json")):
        manifest = json.loads(manifest_file.read_text())
        if stage not in manifest.get("inputs", []):
            continue
        for figure in manifest.get("summary", {}).get("figures", []):
            if figure.get("name") == "sae_eval_loss_recovered_ratio":
                return figure["value"]
    return None


def splice_losses(model, sae, tokens, hook_in: str, hook_out: str):
    """Next-token loss clean, with SAELens' reconstruction at `hook_out` of
    what `hook_in` holds (the same hook but for a transcoder), and with
    `hook_out` zero-ablated."""
    import torch

    seen = {}

    def read(activations, hook):  # noqa: ARG001 (TransformerLens passes the hook point)
        seen["x"] = activations

    def spliced(activations, hook):  # noqa: ARG001
        return sae.decode(sae.encode(seen.get("x", activations)))

    def zeroed(activations, hook):  # noqa: ARG001
        return torch.zeros_like(activations)

    hooks = [(hook_out, spliced)] if hook_in == hook_out else [(hook_in, read), (hook_out, spliced)]
    clean = model(tokens, return_type="loss").item()
    with_sae = model.run_with_hooks(tokens, return_type="loss", fwd_hooks=hooks).item()
    zero = model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(hook_out, zeroed)]).item()
    return clean, with_sae, zero


def check_stage(entry: dict, dump_dir: Path, models: dict) -> dict:
    import torch
    from safetensors.torch import load_file
    from sae_lens import SAE

    ours = load_file(str(dump_dir / f"{entry['stage']}.safetensors"))
    sae = SAE.load_from_disk(entry["dir"], device="cpu")  # as the user does: no adapter, cfg untouched
    model_dir = Path(entry["model_dir"])
    if model_dir not in models:
        models[model_dir] = load_model(model_dir)
    model = models[model_dir]
    hook = sae.cfg.metadata.hook_name
    hook_out = sae.cfg.metadata.hook_name_out or hook  # transcoders write elsewhere
    if hook != entry["hook"]:
        raise SystemExit(f"{entry['stage']}: SAELens reads hook_name {hook!r}, dictlab uses {entry['hook']!r}")

    tokens = ours["tokens"].long()
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=hook)
        tl_activations = cache[hook].reshape(-1, ours["activations"].shape[1])
        codes = sae.encode(ours["activations"])
        reconstruction = sae.decode(codes)
        clean, spliced, zero = splice_losses(model, sae, tokens, hook, hook_out)
    return {
        "stage": entry["stage"],
        "architecture": sae.cfg.architecture(),
        "sae_class": type(sae).__name__,
        "d_sae": codes.shape[1],
        "max_activation_diff": (tl_activations - ours["activations"]).abs().max().item(),
        "max_activation": ours["activations"].abs().max().item(),
        "max_code_diff": (codes - ours["codes"]).abs().max().item(),
        "max_code": ours["codes"].abs().max().item(),
        "l0_ours": (ours["codes"] > 0).sum(1).float().mean().item(),
        "l0_saelens": (codes > 0).sum(1).float().mean().item(),
        "max_reconstruction_diff": (reconstruction - ours["reconstruction"]).abs().max().item(),
        "max_reconstruction": ours["reconstruction"].abs().max().item(),
        "loss_recovered_ours": entry["loss_recovered"],
        "loss_recovered_saelens": (zero - spliced) / (zero - clean),
        "loss_ours": [entry["loss_clean"], entry["loss_spliced"], entry["loss_zero_ablated"]],
        "loss_saelens": [clean, spliced, zero],
    }


def disagreements(row: dict) -> list:
    problems = []
    for what in ("activation", "code", "reconstruction"):
        if row[f"max_{what}_diff"] > RELATIVE_TOLERANCE * max(1.0, row[f"max_{what}"]):
            problems.append(f"{what}s differ by {row[f'max_{what}_diff']:.3g} (largest {row[f'max_{what}']:.3g})")
    for name, ours, theirs in zip(("clean", "spliced", "zero-ablated"), row["loss_ours"], row["loss_saelens"]):
        if abs(ours - theirs) > LOSS_RECOVERED_TOLERANCE:
            problems.append(f"{name} loss {ours:.5f} (dictlab) against {theirs:.5f}")
    gap = abs(row["loss_recovered_ours"] - row["loss_recovered_saelens"])
    if gap > LOSS_RECOVERED_TOLERANCE:
        problems.append(f"loss recovered differs by {gap:.3g}")
    return problems


def print_table(rows: list, run_dir: Path) -> None:
    header = ("stage", "architecture", "SAELens class", "d_sae", "L0", "max|Δact|", "max|Δcode|", "max|Δx̂|",
              "LR dictlab", "LR SAELens+TL", "LR sae_metrics")
    lines = [header]
    for row in rows:
        reported = reported_loss_recovered(run_dir, row["stage"])
        lines.append((row["stage"], row["architecture"], row["sae_class"], str(row["d_sae"]), f"{row['l0_ours']:.1f}",
                      f"{row['max_activation_diff']:.2e}", f"{row['max_code_diff']:.2e}",
                      f"{row['max_reconstruction_diff']:.2e}", f"{row['loss_recovered_ours']:.5f}",
                      f"{row['loss_recovered_saelens']:.5f}", "-" if reported is None else f"{reported:.5f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tool", required=True, help="build/dump_dictionary_codes")
    parser.add_argument("--contexts", type=int, default=32, help="held-out windows (sae_metrics' `contexts`)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("stages", nargs="*")
    args = parser.parse_args()

    from importlib.metadata import version

    print(", ".join(f"{name} {version(name)}" for name in ("torch", "sae-lens", "transformer-lens")))
    with tempfile.TemporaryDirectory(prefix="dictlab-saelens-") as tmp:
        dump_dir = Path(tmp)
        subprocess.run([args.tool, str(args.run_dir), tmp, "--contexts", str(args.contexts), *args.stages],
                       check=True)
        entries = json.loads((dump_dir / "stages.json").read_text())
        models = {}
        rows = [check_stage(entry, dump_dir, models) for entry in entries]
    print_table(rows, args.run_dir)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    failed = False
    for row in rows:
        for problem in disagreements(row):
            print(f"MISMATCH {row['stage']}: {problem}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
