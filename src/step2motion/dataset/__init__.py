"""The data layer between files and the network: insole recording → input streams, motion → targets,
and training windows (see each module's docstring for channel tables and conventions).

Import the modules themselves: ``insole_features`` needs no torch, ``pose_features`` and ``windows`` do,
and a package-level re-export would make every feature-only command load torch.
"""
