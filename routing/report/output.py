"""An output directory claimed for one run, its files published as one consistent set.

``OutputDir.claim(path)`` checks the directory before any work (a file in the way, a dangling link, a
name too long, no permission to write: one :class:`~routing.errors.InputError`), creates it if need be
and locks it (``flock`` on the directory itself) against a concurrent run for as long as the run
holds it; released without anything published, a directory the claim created is removed again.
:meth:`OutputDir.publish` then writes every file under a temporary name, removes the old marker file
(``summary.json`` for a plan, ``comparison.csv`` for a sweep: a reader who finds no marker knows a
write is under way), removes stale files (the other format's, summaries of scenarios no longer in the
sweep) and leftovers of a killed run, renames the new files into place and writes the marker last.
A marker on disk therefore always belongs to the files beside it; a plan's summary also names them
with their SHA-256. Files get the mode the umask allows, as any file the user creates would.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..data.tables import umask, write_temp
from ..errors import InputError

WRITERS = 4  # files written at once by a publish
TEMP_PREFIX = ".routing-"  # temporary files of a publish, removed when a later run finds them
NAME_MAX, PATH_MAX = 255, 4096  # bytes in a file name and in a path (Linux)
TEMP_ROOM = 40  # bytes a temporary name adds to a file's
Writer = Callable[[Path], None]  # writes one file at the path it is given


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OutputDir:
    """A directory the outputs of one run go to (see the module's description)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._created: list[Path] = []  # directories the claim created, removed again if nothing was published

    @classmethod
    def claim(cls, path: str | Path) -> OutputDir:
        """Check ``path`` as an output directory, create it if need be and lock it against other runs."""
        if str(path) == "":
            raise InputError("--out", None, "must name a directory, got an empty path")
        out = cls(Path(path))
        try:
            out._check()
            out._create()
        except OSError as exc:  # a name the system refuses, a permission that changed under us
            out.release()
            raise InputError(str(path), None, f"cannot be used as the output directory: {exc.strerror}") from None
        out._lock()
        return out

    def _check(self) -> None:
        p = self.path
        absolute = Path(os.path.abspath(p))
        # lengths first: with a name too long, every look at the path fails
        if any(len(part.encode()) > NAME_MAX - TEMP_ROOM for part in absolute.parts) or \
                len(str(absolute).encode()) > PATH_MAX - 2 * TEMP_ROOM:
            raise InputError(str(p), None, f"path too long (a name over {NAME_MAX - TEMP_ROOM} bytes, or the whole "
                                           f"path over {PATH_MAX - 2 * TEMP_ROOM})")
        if p.is_symlink() and not p.exists():
            raise InputError(str(p), None, "is a symbolic link to nothing")
        if p.exists() and not p.is_dir():
            raise InputError(str(p), None, "exists and is not a directory")
        parent = absolute
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise InputError(str(p), None, f"cannot be created: {parent} is not a directory")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise InputError(str(p), None, f"not writable: no permission to write in {parent}")

    def _create(self) -> None:
        missing = []
        at = Path(os.path.abspath(self.path))
        while not at.exists():
            missing.append(at)
            at = at.parent
        for directory in reversed(missing):
            directory.mkdir()
            self._created.append(directory)

    def _lock(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            self.release()
            raise InputError(str(self.path), None, f"cannot be opened: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            self.release()
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise InputError(str(self.path), None, "in use by another routing run writing into it") from None
            raise InputError(str(self.path), None, f"cannot be locked: {exc.strerror}") from None
        self._fd = fd

    def release(self) -> None:
        """Unlock the directory (also when the process ends); if this claim created it and nothing was
        published, remove it again: a refused run leaves nothing behind."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        for directory in reversed(self._created):
            with contextlib.suppress(OSError):  # not empty (something was written) or already gone
                directory.rmdir()
        self._created = []

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def publish(self, files: dict[str, Writer], marker: tuple[str, Callable[[dict[str, str]], Writer]],
                stale: tuple[str, ...] = ()) -> dict[str, Path]:
        """Write ``files`` (relative name -> writer) and then the marker file: ``marker`` is (name, a function
        of the files' SHA-256 by name giving the marker's writer). ``stale``: relative names (globs) to
        remove unless among the new files. Returns the paths written, the marker last."""
        if self._fd is None:  # claimed and released before: claim again
            other = OutputDir.claim(self.path)
            self._fd, other._fd = other._fd, None
        self._remove_leftovers()
        mode = 0o666 & ~umask()
        temps: dict[str, Path] = {}
        def write(name: str, writer: Writer) -> tuple[str, str]:
            temps[name] = self._write_temp(name, writer, mode)
            return name, sha256(temps[name])

        # side by side: Arrow's writers and hashlib release the GIL (1M plan + legs as CSV: 2.9 -> 1.7 s)
        pool = ThreadPoolExecutor(max_workers=max(1, min(len(files), WRITERS)))
        try:
            done = [pool.submit(write, name, writer) for name, writer in files.items()]
            hashes = dict(future.result() for future in done)
            pool.shutdown()
            marker_name, marker_writer = marker
            marker_tmp = self._write_temp(marker_name, marker_writer(hashes), mode)
            temps[marker_name] = marker_tmp
            # from here on the set on disk is incomplete until the marker is back
            (self.path / marker_name).unlink(missing_ok=True)
            self._remove_stale(stale, set(files) | {marker_name})
            for name, tmp in temps.items():
                if name != marker_name:
                    os.replace(tmp, self.path / name)
            os.replace(marker_tmp, self.path / marker_name)
            self._sync()
            self._created = []  # published: the directory stays
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # no writer still running: every temp file is known
            for tmp in list(temps.values()):
                tmp.unlink(missing_ok=True)
            raise
        return {name: self.path / name for name in [*files, marker_name]}

    def _write_temp(self, name: str, writer: Writer, mode: int) -> Path:
        return write_temp(self.path / name, writer, mode, prefix=TEMP_PREFIX, sync=True)

    def _remove_stale(self, patterns: tuple[str, ...], keep: set[str]) -> None:
        """Remove files matching ``patterns`` (globs relative to the directory) that are not ``keep``."""
        for pattern in patterns:
            for path in self.path.glob(pattern):
                if path.is_file() and str(path.relative_to(self.path)) not in keep:
                    path.unlink(missing_ok=True)

    def _remove_leftovers(self) -> None:
        """Temporary files of a run that was killed while publishing (the lock is held: no other run's)."""
        for path in self.path.rglob(f"{TEMP_PREFIX}*.tmp"):
            with contextlib.suppress(OSError):
                path.unlink()

    def _sync(self) -> None:
        fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def claimed(path: str | Path | OutputDir) -> Iterator[OutputDir]:
    """``path`` as a claimed :class:`OutputDir` for the block (released after it unless it was given claimed)."""
    if isinstance(path, OutputDir):
        yield path
        return
    out = OutputDir.claim(path)
    try:
        yield out
    finally:
        out.release()
