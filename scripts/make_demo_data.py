"""Regenerate the bundled demo (src/step2motion/data/demo/) from the shared CMU corpus.

The demo is a walk of a subject held out for test (see src/step2motion/data/split.json): its motion on the
canonical skeleton at 30 fps (the ground truth the demo compares against) and the virtual-insole
recording our simulator makes of it. Run: ``.venv/bin/python scripts/make_demo_data.py [CORPUS_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from step2motion.io.bvh import resample_motion, write_bvh
from step2motion.io.corpus import corpus_entries, read_corpus_motion
from step2motion.io.moticon import write_moticon
from step2motion.simulation.simulate import simulate_recording

CLIP = "cmu/49/49_01.bvh"
DEMO_DIR = Path(__file__).resolve().parent.parent / "src" / "step2motion" / "data" / "demo"
TRUTH_FPS = 30.0
MASS_KG, INSOLE_SIZE, SEED = 70.0, 7, 49


def main(corpus: Path) -> None:
    entry = next(e for e in corpus_entries(corpus) if e.path == CLIP)
    motion = read_corpus_motion(corpus, entry)
    recording = simulate_recording(motion, MASS_KG, INSOLE_SIZE, noise="realistic", seed=SEED)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    write_moticon(recording, DEMO_DIR / "walk_insoles.txt")
    write_bvh(resample_motion(motion, TRUTH_FPS), DEMO_DIR / "walk_truth.bvh")
    print(f"wrote {DEMO_DIR}: {recording.duration_s:.2f} s from {corpus / CLIP}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/data/mocap"
    )
