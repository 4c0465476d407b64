"""Foot odometry: each insole's path from its own IMU between still moments, both feet in one frame,
and the strides they make (:mod:`.stillness` → :mod:`.strapdown` → :mod:`.strides`, :mod:`.both_feet`)."""
