"""Baselines that need no network: what the model must beat to be worth its cost.

Each is a :class:`~step2motion.reconstruction.windowed_sampling.WindowPredictor` fitted on the training
subjects of a paired corpus (:mod:`step2motion.baselines.training_set`), so it runs through the same
windowing, world placement, skeleton fit and foot pinning as the model, and evaluation scores it by the
same code. The trained baselines and ablations (regression, no cross-attention, fewer sensors) are
model checkpoints instead: see ``configs/ablations``.
"""
