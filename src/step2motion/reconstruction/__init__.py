"""Reconstruction: an insole recording alone → full-body motion on the canonical skeleton.

Offline (:func:`~step2motion.reconstruction.pipeline.reconstruct`, the ``reconstruct`` command) and
streaming (:class:`~step2motion.reconstruction.streaming.StreamingReconstructor`) share the window model,
the world placement, the skeleton fit and the foot pinning; see each module's docstring.
"""

from step2motion.reconstruction.pipeline import (
    Reconstruction,
    ReconstructionOptions,
    reconstruct,
    write_npz,
)
from step2motion.reconstruction.streaming import StreamChunk, StreamingReconstructor

__all__ = [
    "Reconstruction",
    "ReconstructionOptions",
    "StreamChunk",
    "StreamingReconstructor",
    "reconstruct",
    "write_npz",
]
