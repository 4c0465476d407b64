"""Print the reference bone proportions of step2motion.dataset.proportions from the motion corpus.

For each training subject (the committed split) whose skeleton the CMU capture calibrated on them (the
corpus releases ending in ``-mb``: cgspeed-mb, amc2bvh-mb, expmap2bvh-mb; the DAZ and 100STYLE releases
are other joint-placement conventions, see the corpus README), the canonical rest offsets of its first
such take; each bone's length over the subject's leg length (thigh + shank); the median over subjects.

Run: ``.venv/bin/python scripts/reference_proportions.py [CORPUS_DIR]`` (default ``../shared/data/mocap``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from step2motion import skeleton
from step2motion.evaluation.split import load_split
from step2motion.io.corpus import corpus_entries, read_corpus_motion

CALIBRATED_RELEASE_SUFFIX = "-mb"


def reference_bone_shares(corpus: Path) -> tuple[np.ndarray, list[str]]:
    """The median bone shares ``[22]`` and the subjects they come from."""
    train = set(load_split().train)
    shares: dict[str, np.ndarray] = {}
    for entry in corpus_entries(corpus):
        calibrated = entry.release.endswith(CALIBRATED_RELEASE_SUFFIX)
        if calibrated and entry.subject in train and entry.subject not in shares:
            offsets = read_corpus_motion(corpus, entry).offsets_m
            shares[entry.subject] = np.linalg.norm(offsets, axis=1) / skeleton.rest_leg_length_m(offsets)
    return np.median(np.stack(list(shares.values())), axis=0), sorted(shares, key=int)


def main(argv: list[str]) -> int:
    corpus = Path(argv[0]) if argv else Path(__file__).resolve().parents[2] / "shared" / "data" / "mocap"
    shares, subjects = reference_bone_shares(corpus)
    print(f"subjects: {', '.join(subjects)}")
    print("REFERENCE_BONE_SHARES =", [round(float(x), 4) for x in shares])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
