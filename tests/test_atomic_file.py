"""A file written through atomic_path exists only when complete; an interrupted write keeps the old one."""

from __future__ import annotations

from pathlib import Path

import pytest

from step2motion.io.atomic_file import atomic_path


def test_complete_write_replaces_and_interrupted_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as partial:
        partial.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_path(target) as partial:
        assert partial != target
        partial.write_text("new")
    assert target.read_text() == "new"
    assert list(tmp_path.iterdir()) == [target]
