"""An ``.npz`` archive whose arrays grow chunk by chunk, in the memory of one chunk.

Why: ``np.savez`` needs every array whole, and a streaming reconstruction of a long recording must not
hold its whole output. Each growing array's rows go to a raw temporary file beside the output as they
come; on closing, the archive is written as ``np.savez`` writes one (a stored zip of ``.npy`` members),
each member's header carrying the final shape and its rows copied in blocks, and renamed into place
(:mod:`step2motion.io.atomic_file`). ``np.load`` reads it like any other.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np

from step2motion.errors import InputError
from step2motion.io.atomic_file import atomic_path


class NpzWriter:
    """``with NpzWriter(path, fixed) as npz: npz.append(name=rows, ...)``: the archive holds the ``fixed``
    arrays as given and every appended name's rows joined along the first axis (each name keeps the
    dtype and trailing shape of its first chunk)."""

    def __init__(self, path: str | Path, fixed: dict[str, np.ndarray] | None = None) -> None:
        self.path = Path(path)
        self.fixed = dict(fixed or {})
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._rows: dict[str, tuple[BinaryIO, np.dtype, tuple[int, ...]]] = {}
        self._counts: dict[str, int] = {}

    def __enter__(self) -> NpzWriter:
        try:
            self._folder = tempfile.TemporaryDirectory(prefix=f".{self.path.name}.", dir=self.path.parent)
        except OSError as error:
            raise InputError(f"cannot write the archive: {error.strerror}", self.path) from None
        return self

    def append(self, **arrays: np.ndarray) -> None:
        """Append rows (first axis) to each named array."""
        if self._folder is None:
            raise RuntimeError("NpzWriter.append outside its with block")
        for name, array in arrays.items():
            array = np.asarray(array)
            if name not in self._rows:
                handle = open(Path(self._folder.name) / f"{len(self._rows)}.raw", "wb")  # noqa: SIM115
                self._rows[name] = (handle, array.dtype, array.shape[1:])
                self._counts[name] = 0
            handle, dtype, trailing = self._rows[name]
            if array.shape[1:] != trailing:
                raise ValueError(f"{name}: rows of shape {array.shape[1:]}, earlier ones {trailing}")
            try:
                handle.write(np.ascontiguousarray(array, dtype=dtype).tobytes())
            except OSError as error:
                raise InputError(f"cannot write the archive: {error.strerror}", self.path) from None
            self._counts[name] += array.shape[0]

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for handle, _, _ in self._rows.values():
            handle.close()
        try:
            if kind is None:
                self._write_archive()
        finally:
            if self._folder is not None:
                self._folder.cleanup()

    def _write_archive(self) -> None:
        try:
            with (
                atomic_path(self.path) as partial,
                zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive,
            ):
                for name, array in self.fixed.items():
                    with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
                for name, (handle, dtype, trailing) in self._rows.items():
                    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False}
                    header["shape"] = (self._counts[name], *trailing)
                    with (
                        archive.open(f"{name}.npy", "w", force_zip64=True) as member,
                        open(handle.name, "rb") as rows,
                    ):
                        np.lib.format.write_array_header_1_0(member, header)
                        shutil.copyfileobj(rows, member, 1 << 20)
        except OSError as error:
            raise InputError(f"cannot write the archive: {error.strerror}", self.path) from None
