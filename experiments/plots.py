#!/usr/bin/env python3
"""Draws REPRODUCTION.md's figures from a run directory's stage outputs.

    /usr/bin/python3 experiments/plots.py [RUN_DIR] [OUT_DIR]   (defaults: runs/model_a, experiments/figures)

Needs Debian's python3-matplotlib. Each figure is drawn only when the stages
it reads have finished; the script says which it skipped and why.
"""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SWEEP = [512, 1024, 2048, 4096, 8192, 16384, 32768]
FAMOUS = ["arabic", "hebrew", "dna", "base64"]
# experiments/architectures.toml: each architecture's stage suffixes, sparsest first.
ARCHITECTURES = {
    "L1 (the paper's recipe)": ["l1_0.012", "l1_0.008", "l1_0.005", "l1_0.003"],
    "L1, A/1's 4000 steps": ["l1_a1_0.0055", "l1_a1_0.00575", "l1_a1_0.006"],
    "TopK": ["topk_8", "topk_16", "topk_32", "topk_64"],
    "BatchTopK": ["batchtopk_8", "batchtopk_16", "batchtopk_32", "batchtopk_64"],
    "Matryoshka": ["matryoshka_8", "matryoshka_16", "matryoshka_32", "matryoshka_64"],
    "JumpReLU": ["jumprelu_8", "jumprelu_16", "jumprelu_32", "jumprelu_64"],
    "TopK transcoder": ["transcoder_8", "transcoder_16", "transcoder_32", "transcoder_64"],
}
ARCHITECTURE_FIGURES = [("sae_eval_loss_recovered_ratio", "loss recovered"),
                        ("sae_eval_kl_recovered_ratio", "KL score"),
                        ("sae_eval_variance_explained_ratio", "variance explained")]


def load(path):
    return json.loads(path.read_text()) if path.is_file() else None


def figures(report):
    return {(f["name"], tuple(sorted(f.get("labels", {}).items()))): f["value"] for f in report["figures"]}


def density_histogram(run, out):
    report = load(run / "stages/sae_a1_metrics/report.json")
    if report is None:
        return "sae_a1_metrics has not run"
    # One figure per bin, labelled with the bin's upper edge.
    bins = sorted((float(dict(labels)["log10_density_le"]), value)
                  for (name, labels), value in figures(report).items()
                  if name == "sae_eval_feature_density_features")
    width = bins[1][0] - bins[0][0]
    edges = [upper - width for upper, _ in bins]
    counts = [count for _, count in bins]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(edges, counts, width=width * 0.9, align="edge")
    ax.set_xlabel("log10 feature density (share of tokens where the feature fires)")
    ax.set_ylabel("features")
    ax.set_title("A/1: feature density (262,144 held-out tokens)")
    fig.tight_layout()
    fig.savefig(out / "a1_feature_density.png", dpi=120)
    return None


def universality(run, out):
    twins = load(run / "stages/universality/twins.json")
    if twins is None:
        return "universality has not run"
    density = load(run / "stages/sae_a1_metrics/feature_density.json")
    fig, axes = plt.subplots(1, 2 if density else 1, figsize=(11 if density else 6, 3.5), squeeze=False)
    ax = axes[0][0]
    bins = [i / 40 for i in range(41)]
    for unit, colour in [("features", "tab:blue"), ("neurons", "tab:orange")]:
        best = [t["correlation"] for t in twins[unit]]
        ax.hist(best, bins=bins, alpha=0.6, color=colour, density=True,
                label=f"{unit} (median {sorted(best)[len(best) // 2]:.2f})")
    ax.set_xlabel("best activation correlation with a unit of model B")
    ax.set_ylabel("density")
    ax.set_title(f"Universality: {twins['dictionary_a']} against {twins['dictionary_b']}")
    ax.legend()
    if density:
        # Why the features' histogram has a bump near 0.1: rare features.
        ax = axes[0][1]
        points = [(density["density"][t["unit"]], t["correlation"]) for t in twins["features"]
                  if density["density"][t["unit"]] > 0]
        ax.scatter([d for d, _ in points], [c for _, c in points], s=2, alpha=0.3)
        ax.set_xscale("log")
        ax.set_xlabel("feature density on sae_a1_metrics' held-out tokens")
        ax.set_ylabel("best correlation in B/1")
        ax.set_title("A/1 features: universality against density")
        for floor in [1e-4, 1e-3]:
            kept = sorted(c for d, c in points if d >= floor)
            print(f"  A/1 features with density >= {floor:g}: {len(kept)}, "
                  f"median best correlation {kept[len(kept) // 2]:.2f}")
    fig.tight_layout()
    fig.savefig(out / "universality.png", dpi=120)
    return None


def famous(run, out):
    result = load(run / "stages/famous_a1/famous.json")
    if result is None:
        return "famous_a1 has not run"
    kinds = [k for k in FAMOUS if "feature" in result["kinds"].get(k, {})]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), sharey=True)
    for ax, measure in zip(axes, ["specificity", "sensitivity"]):
        x = range(len(kinds))
        for offset, unit, colour in [(-0.2, "feature", "tab:blue"), (0.2, "neuron", "tab:orange")]:
            ax.bar([i + offset for i in x], [result["kinds"][k][unit][measure] for k in kinds], width=0.4,
                   color=colour, label=f"best {unit}")
        ax.set_xticks(list(x), kinds)
        ax.set_title(measure)
        ax.set_ylim(0, 1)
    axes[0].legend()
    fig.suptitle("A/1's famous features against the best neuron (held-out half)")
    fig.tight_layout()
    fig.savefig(out / "famous_features.png", dpi=120)
    return None


def sweep(run, out):
    rows = []
    for size in SWEEP:
        report = load(run / f"stages/sae_{size}_metrics/report.json")
        if report is not None:
            f = {name: value for (name, labels), value in figures(report).items() if not labels}
            rows.append((size, f))
    if len(rows) < 2:
        return "fewer than two sweep dictionaries measured"
    sizes = [size for size, _ in rows]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
    for ax, (key, title) in zip(axes, [("sae_eval_loss_recovered_ratio", "loss recovered"),
                                       ("sae_eval_l0", "L0"),
                                       ("sae_eval_variance_explained_ratio", "variance explained")]):
        ax.plot(sizes, [f[key] for _, f in rows], marker="o")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("features")
        ax.set_title(title)
    fig.suptitle("Dictionary size sweep on model A (2000 steps each, fitted encoder init, one activation harvest)")
    fig.tight_layout()
    fig.savefig(out / "sweep.png", dpi=120)
    return None


def unlabelled(report):
    return {name: value for (name, labels), value in figures(report).items() if not labels}


def architecture_points(run):
    """{architecture: [(stage suffix, sae_metrics figures, mean probe accuracy at k=1 or None)]}"""
    points = {}
    for architecture, stages in ARCHITECTURES.items():
        for stage in stages:
            report = load(run / f"stages/arch_{stage}_metrics/report.json")
            if report is None:
                continue
            probing = load(run / f"stages/arch_{stage}_probing/report.json")
            probe = None
            if probing is not None:
                probe = {dict(labels)["k"]: value for (name, labels), value in figures(probing).items()
                         if name == "sae_probe_mean_accuracy" and dict(labels).get("source") == "features"}
            points.setdefault(architecture, []).append((stage, unlabelled(report), probe))
    return points


def architectures(run, out):
    points = architecture_points(run)
    if not points:
        return "no arch_*_metrics stage has run (experiments/architectures.toml)"
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, (key, title) in zip(axes, ARCHITECTURE_FIGURES):
        for architecture, rows in points.items():
            rows = sorted(rows, key=lambda row: row[1]["sae_eval_l0"])
            ax.plot([f["sae_eval_l0"] for _, f, _ in rows], [f[key] for _, f, _ in rows], marker="o",
                    linestyle="--" if "transcoder" in architecture else "-", label=architecture)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("L0 (active features per token)")
        ax.set_title(title)
    axes[0].legend(fontsize=8)
    fig.suptitle("4096 features on model A's MLP, 600 steps of 4096 activations each (L1 also at A/1's 4000); "
                 "the transcoder replaces the whole MLP", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "architectures.png", dpi=120)
    print(architecture_table(points))
    return None


def architecture_table(points):
    lines = ["| architecture | stage | L0 | loss recovered | KL score | variance explained | cosine | "
             "‖x̂‖/‖x‖ | dead | probe accuracy k=1 / 5 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for architecture, rows in points.items():
        for stage, f, probe in sorted(rows, key=lambda row: row[1]["sae_eval_l0"]):
            probes = f"{probe['1']:.3f} / {probe['5']:.3f}" if probe else "-"
            lines.append(f"| {architecture} | arch_{stage} | {f['sae_eval_l0']:.1f} | "
                         f"{f['sae_eval_loss_recovered_ratio']:.1%} | {f['sae_eval_kl_recovered_ratio']:.1%} | "
                         f"{f['sae_eval_variance_explained_ratio']:.3f} | {f.get('sae_eval_cosine_similarity', float('nan')):.3f} | "
                         f"{f.get('sae_eval_l2_ratio', float('nan')):.3f} | "
                         f"{f['sae_eval_dead_ratio']:.1%} | {probes} |")
    return "\n".join(lines)


def famous_by_size(run, out):
    found = [(size, load(run / f"stages/famous_{size}/famous.json")) for size in SWEEP]
    found = [(size, result) for size, result in found if result is not None]
    if len(found) < 2:
        return "fewer than two famous_N stages have run"
    sizes = [size for size, _ in found]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for kind in FAMOUS:
        specific = [len(r["kinds"].get(kind, {}).get("specific_features", [])) for _, r in found]
        print(f"  {kind}: specific features by size " +
              ", ".join(f"{size}: {count}" for size, count in zip(sizes, specific)))
        axes[0].plot(sizes, specific, marker="o", label=kind)
        axes[1].plot(sizes, [r["kinds"].get(kind, {}).get("feature", {}).get("specificity", float("nan"))
                             for _, r in found], marker="o", label=kind)
    axes[0].set_title("features specific to the kind")
    axes[1].set_title("specificity of the best feature")
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_xlabel("features in the dictionary")
    axes[0].legend()
    fig.suptitle("Feature splitting: the famous kinds of text across dictionary sizes")
    fig.tight_layout()
    fig.savefig(out / "famous_by_size.png", dpi=120)
    return None


def family(splitting, root_stage, root):
    """Levels of the family tree under feature `root` of `root_stage`: [(stage, [(feature, parent, corr)])]."""
    levels, members = [], {root}
    for link in splitting["links"]:
        if not levels and link["parent_dictionary"] != root_stage:
            continue
        if not levels:
            levels.append((root_stage, [(root, None, 1.0)]))
        children = [(p["child"], p["parent"], p["correlation"]) for p in link["pairs"] if p["parent"] in members]
        levels.append((link["child_dictionary"], children))
        members = {child for child, _, _ in children}
    return levels


def splitting_tree(run, out):
    splitting = load(run / "stages/splitting/splitting.json")
    smallest = load(run / f"stages/famous_{SWEEP[0]}/famous.json")
    if splitting is None or smallest is None:
        return f"splitting or famous_{SWEEP[0]} has not run"
    kinds = [k for k in FAMOUS if "feature" in smallest["kinds"].get(k, {})]
    famous_of = {d["stage"]: load(run / f"stages/famous_{d['d_sae']}/famous.json") for d in splitting["dictionaries"]}
    fig, axes = plt.subplots(1, len(kinds), figsize=(3.2 * len(kinds), 4.2))
    for ax, kind in zip(axes, kinds):
        root_stage = splitting["dictionaries"][0]["stage"]
        levels = family(splitting, root_stage, smallest["kinds"][kind]["feature"]["id"])
        position = {}
        for depth, (stage, members) in enumerate(levels):
            result = famous_of.get(stage)
            specific = set(result["kinds"][kind]["specific_features"]) if result else set()
            members = sorted(members, key=lambda m: (position.get((depth - 1, m[1]), 0), m[0]))
            ax.text(1.0, depth, f" {len(members)}", fontsize=8, va="center")
            for i, (feature, parent, correlation) in enumerate(members):
                x = (i + 0.5) / len(members)
                position[(depth, feature)] = x
                if parent is not None:
                    ax.plot([position[(depth - 1, parent)], x], [depth - 1, depth], color="grey",
                            linewidth=0.3 + 1.5 * max(correlation, 0), alpha=0.6)
                ax.plot(x, depth, "o", markersize=4,
                        color="tab:blue" if feature in specific else "tab:orange")
        ax.set_title(f"{kind} (feature {levels[0][1][0][0]} of {levels[0][0]})", fontsize=9)
        print(f"  {kind}: feature {levels[0][1][0][0]} of {levels[0][0]}, descendants by size " +
              ", ".join(f"{stage.removeprefix('sae_')}: {len(m)}" for stage, m in levels[1:]))
        ax.set_xticks([])
        ax.set_xlim(0, 1.12)
        ax.set_yticks(range(len(levels)), [stage.removeprefix("sae_") for stage, _ in levels], fontsize=8)
        ax.invert_yaxis()
    fig.suptitle("Feature splitting: descendants of the smallest dictionary's famous features "
                 "(blue: specific to the kind)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "splitting_trees.png", dpi=120)
    return None


def main():
    run = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/model_a")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "experiments/figures")
    out.mkdir(parents=True, exist_ok=True)
    for draw in [density_histogram, universality, famous, sweep, famous_by_size, splitting_tree, architectures]:
        skipped = draw(run, out)
        print(f"{draw.__name__}: " + (f"skipped, {skipped}" if skipped else "drawn"))


if __name__ == "__main__":
    main()
