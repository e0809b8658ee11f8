"""Reference poses: the default show and the shop dialogue, recorded tick by tick, to hold a change of the
tick's code against (tests/test_world.py compares a fresh recording with tests/data/pose_reference.npz).

Recorded in a fresh process, the show first: eSpeak NG's output depends on what it said before, so the
order is part of the reference. Every SAMPLE-th tick is kept: the rotations of the body and head joints
(not the fingers), the face channels, the hips offset, and whether each host's arms were in a gesture's
ramp or a hold (where the arms are blended, not replayed).

    python tools/pose_reference.py OUT.npz [--ticks 2400]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from runtime.controllers.gestures import weight_at  # noqa: E402
from runtime.show.live import LiveShow  # noqa: E402
from runtime.show.script import load_show  # noqa: E402
from runtime.show.staging import (
    performance,  # noqa: E402
    read_dialogue,  # noqa: E402
)
from runtime.skeleton.humanoid import BONE_NAMES  # noqa: E402

SAMPLE = 4
JOINTS = [j for j, name in enumerate(BONE_NAMES) if not any(f in name for f in ("Thumb", "Index", "Middle", "Ring", "Little"))]


def arms_blended(world, tick: int) -> np.ndarray:
    """(H,) whether a host's arms are in a gesture's ramp (weight strictly between 0 and 1) or a hold."""
    return np.array([world.holds[h] is not None or any(0.0 < weight_at(step, (tick - start) / world.rate) < 1.0
                                                        for start, p in world.plans[h] for step in p.steps)
                     for h in range(world.hosts)])


def take(ticker, ticks: int) -> dict[str, np.ndarray]:
    world, kept = ticker.world, []
    for tick in range(ticks):
        ticker.run_until(tick)
        if tick % SAMPLE == 0:
            kept.append((world.rotations[:, JOINTS].copy(), world.face.copy(), world.hips.copy(),
                         arms_blended(world, tick)))
    rotations, face, hips, blended = (np.array(a) for a in zip(*kept))
    return {"rotations": rotations.astype(np.float32), "face": face.astype(np.float32), "hips": hips,
            "blended": blended}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="the .npz to write")
    ap.add_argument("--ticks", type=int, default=2400, help="ticks of each take (default %(default)s)")
    args = ap.parse_args()
    show = load_show(PROJECT / "scenes" / "shop_show.toml")
    takes = {"show": LiveShow(show.spec, show).ticker}
    _, takes["dialogue"] = performance(PROJECT / "scenes" / "shop_studio.toml",
                                       read_dialogue(PROJECT / "scenes" / "dialogue.txt"), 0.4)
    arrays = {f"{name}_{key}": value for name, ticker in takes.items() for key, value in take(ticker, args.ticks).items()}
    np.savez_compressed(args.out, joints=np.array(JOINTS), sample=SAMPLE, **arrays)
    print(f"wrote {args.out}: {args.ticks} ticks of the show and the dialogue, every {SAMPLE}th kept")


if __name__ == "__main__":
    main()
