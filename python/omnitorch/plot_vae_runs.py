"""Draws the loss curves of `omnitorch.train_vae` runs (their candidates.json files) into one PNG.

    python -m omnitorch.plot_vae_runs RUN1.json [RUN2.json …] --out loss-gpu.png

Candidates are drawn against their own steps; each run's `final` curve continues the winner's steps, and a run
resumed from an earlier one's export continues its step count.
"""
from __future__ import annotations

import argparse
import json

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt   # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for path in args.runs:
        run = json.load(open(path))
        final = run.get("final", {})
        for name, entry in run.items():
            if name == "final" or "curve_l1_every20" not in entry:
                continue
            curve = entry["curve_l1_every20"]
            ax.plot([20 * i for i in range(len(curve))], curve, lw=1, label=f"{name} (candidate, {entry['seconds']:.0f} s)")
        if final:
            curve = final["curve_l1_every20"]
            first = final["total_steps"] - 20 * len(curve)
            ax.plot([first + 20 * i for i in range(len(curve))], curve, lw=1,
                    label=f"{final['name']} to step {final['total_steps']} (lr {final['lr']:g}, cosine)")
    ax.set_yscale("log")
    ax.set_xlabel("optimiser step (batch 8 windows of 33 frames, 64×64)")
    ax.set_ylabel("L1 of a reconstruction (pixels in [−1, 1])")
    ax.set_title("Stage 0 VAE on one H200: candidates, then the winner")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out)


if __name__ == "__main__":
    main()
