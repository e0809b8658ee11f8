"""Tick benchmark: what one tick of the World costs, stage by stage, measured in one run.

1. The default show (scenes/shop_show.toml, 2 hosts: director, speech, gestures, a held product, every
   controller) against the same cast with nothing to say (the idle cast), ticks interleaved so that
   machine noise hits both alike: median tick and the ratio.
2. A generated show with 64 hosts on one set, taking turns to speak with gestures and to pick products up
   and show them: median tick, against the 16.7 ms a 60 Hz tick has.

    python tools/bench_tick.py [--seconds 20] [--hosts 64]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from runtime.show.live import LiveShow  # noqa: E402
from runtime.show.script import load_show  # noqa: E402
from runtime.show.staging import performance  # noqa: E402
from runtime.world.tick import describe  # noqa: E402

SHOW = PROJECT / "scenes" / "shop_show.toml"
GESTURES = ("point_product:{p}", "present_product:{p}", "beat", "welcome", "price_emphasis")


def default_show(seconds: float) -> tuple[float, float, dict]:
    """(ms per tick of the show, ms per tick of the idle cast, the show's per-stage medians)."""
    show = load_show(SHOW)
    playing, idle = LiveShow(show.spec, show), LiveShow(show.spec)
    costs = {id(playing): [], id(idle): []}
    for tick in range(round(seconds * show.spec.tick_rate)):
        for live in (playing, idle):
            start = time.perf_counter()
            live.run_until(tick)
            costs[id(live)].append(time.perf_counter() - start)
    stages = LiveShow(show.spec, show).ticker.profile(round(seconds * show.spec.tick_rate))
    return float(np.median(costs[id(playing)])) * 1000, float(np.median(costs[id(idle)])) * 1000, stages


def crowd(folder: Path, hosts: int) -> Path:
    """A set with `hosts` hosts in rows, a product in front of every eighth, and a looping show in which
    they take turns: each segment one host picks its product up and shows it while others speak."""
    side = int(np.ceil(np.sqrt(hosts)))
    lines = ['[set]\nname = "Crowd"\n\n[[cameras]]\nname = "wide"\nposition = [0.0, -14.0, 3.0]\n'
             'look_at = [0.0, 0.0, 1.2]\nfov = 50\n\n[[lights]]\ntype = "ambient"\nintensity = 0.6\n']
    places = []
    for k in range(hosts):
        x, y = (k % side - (side - 1) / 2) * 1.3, (k // side) * 1.4
        places.append((x, y))
        rig = "mei" if k % 2 == 0 else "jun"
        lines.append(f'[[hosts]]\nname = "H{k}"\nrig = "{PROJECT / "rigs" / rig}.glb"\nposition = [{x:.2f}, {y:.2f}, 0.0]\n'
                     f"seed = {k + 1}\n")
    holders = list(range(0, hosts, 8))
    for k in holders:
        x, y = places[k]
        lines.append(f'[[products]]\nid = "p{k}"\nname = "Box {k}"\nshape = "box"\nsize = [0.12, 0.12, 0.2]\n'
                     f"position = [{x - 0.25:.2f}, {y - 0.45:.2f}, 0.9]\nprice = 10\ncurrency = \"USD\"\n")
    (folder / "crowd.toml").write_text("\n".join(lines))
    rng = np.random.default_rng(1)
    show = ['[show]\nname = "Crowd"\nset = "crowd.toml"\nloop = true\ngap = 0.2\n']
    for k in holders:
        said = []
        for n in range(4):
            speaker = int(rng.integers(hosts))
            gesture = GESTURES[n % len(GESTURES)].format(p=f"p{k}")
            said.append(f'    "H{speaker}: [{gesture}]Look at this, it is *really* good.",')
        show.append(f'[[segments]]\nname = "s{k}"\nproduct = "p{k}"\nhold = "H{k}"\npause = 0.3\nlines = [\n'
                    + "\n".join(said) + "\n]\n")
    (folder / "crowd_show.toml").write_text("\n".join(show))
    return folder / "crowd_show.toml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20.0, help="simulated seconds per measurement (default 20)")
    ap.add_argument("--hosts", type=int, default=64, help="hosts in the generated show (default 64)")
    args = ap.parse_args()
    show_ms, idle_ms, stages = default_show(args.seconds)
    print(f"default show, 2 hosts, {args.seconds:g} s (median tick): show {show_ms:.2f} ms, idle cast {idle_ms:.2f} ms, "
          f"show / idle = {show_ms / idle_ms:.2f}x; {show_ms / 16.67:.1%} of a 60 Hz tick")
    with tempfile.TemporaryDirectory() as tmp:
        spec, ticker = performance(crowd(Path(tmp), args.hosts), [])
        costs = ticker.profile(round(args.seconds * spec.tick_rate))
    print(f"generated show, {args.hosts} hosts taking turns with gestures and holds: median tick {costs['tick']:.2f} ms "
          f"= {costs['tick'] / 16.67:.1%} of a 60 Hz tick")
    print("stages (median ms), default show:")
    print(describe(LiveShow(load_show(SHOW).spec, load_show(SHOW)).ticker.stages, stages))
    print(f"stages (median ms), {args.hosts} hosts:")
    print(describe(ticker.stages, costs))


if __name__ == "__main__":
    main()
