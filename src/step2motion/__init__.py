"""step2motion: full-body motion from pressure-sensing insoles.

The pipeline, one subpackage per stage: ``io`` (motion and insole files) → ``simulation``
(virtual insoles from motion) → ``visualisation`` → ``cli``.
"""

__version__ = "0.1.0"
