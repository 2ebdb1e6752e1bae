"""Reading a publication folder (:mod:`indexer.publish`) for :mod:`indexer.pull`: from a local
or mounted path, or over HTTP(S).

Both kinds only read, and both hand over at most the bytes asked for: :meth:`read` a small file
whole (``LATEST``, the manifest) up to a limit, :meth:`copy` a file into a new file (0600,
fsynced) up to the size its manifest gives, with its SHA-256. In a folder no path may be or pass
through a symbolic link (each component is opened with ``O_NOFOLLOW``) and only regular files are
read. Over HTTP every connection and read has a timeout, redirects are followed to http(s) URLs
only, a ``Content-Length`` other than the expected size is refused before anything is copied,
and the user name and password of a URL never appear in messages or records.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

from .errors import PullError

TIMEOUT = 30.0  # seconds for each connect and read over HTTP
_BLOCK = 1 << 20

Progress = Callable[[str, int, int], None]  # (file, bytes done, bytes in all)


def stream(fh, target: Path, limit: int, label: str, progress: Progress | None) -> tuple[str, int]:
    """Copy at most ``limit`` bytes of ``fh`` to ``target`` (0600, fsynced); SHA-256 and size."""
    h = hashlib.sha256()
    size = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while block := fh.read(_BLOCK):
            size += len(block)
            if size > limit:
                raise PullError(f"Refused: {label} is larger than its manifest says ({limit} bytes).")
            h.update(block)
            out.write(block)
            if progress:
                progress(label, size, limit)
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest(), size


def open_source(src: str, timeout: float = TIMEOUT):
    """The publication folder at ``src``: a path, or an ``http(s)://`` URL."""
    scheme = urllib.parse.urlsplit(str(src)).scheme.lower()
    if scheme in ("http", "https"):
        return _HttpSource(str(src), timeout)
    if scheme and len(scheme) > 1:
        raise PullError(f"{src}: only folders and http(s):// URLs can be pulled from.")
    root = Path(src).expanduser().absolute()
    if not root.is_dir():
        raise PullError(f"{root} is not a folder.")
    return _FolderSource(root)


class _FolderSource:
    """A publication folder on a local or mounted path; no path inside it may be a symbolic link."""

    def __init__(self, root: Path):
        self.root = root
        self.name = str(root)

    def where(self, rel: str) -> str:
        return f"{self.name}/{rel}"

    def _open(self, rel: str):
        *dirs, last = rel.split("/")
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in dirs:
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = nxt
            file_fd = os.open(last, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
        except FileNotFoundError:
            raise PullError(f"{self.where(rel)} is missing.") from None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # a symbolic link on the way
                raise PullError(f"Refused: {self.where(rel)} is, or passes through, a symbolic link.") from None
            raise PullError(f"{self.where(rel)} cannot be read ({exc.strerror}).") from None
        finally:
            os.close(fd)
        if not stat.S_ISREG(os.fstat(file_fd).st_mode):
            os.close(file_fd)
            raise PullError(f"Refused: {self.where(rel)} is not a regular file.")
        return os.fdopen(file_fd, "rb")

    def read(self, rel: str, limit: int) -> bytes:
        with self._open(rel) as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise PullError(f"Refused: {self.where(rel)} is larger than {limit} bytes.")
        return data

    def copy(self, rel: str, target: Path, size: int, progress: Progress | None) -> tuple[str, int]:
        with self._open(rel) as fh:
            return stream(fh, target, size, rel, progress)


class _HttpOnly(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) URLs only."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise PullError(f"Refused: {req.full_url} redirects to {newurl!r}, which is not an http(s) URL.")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _HttpSource:
    """A publication folder served over HTTP(S) (nginx, a bucket's web endpoint)."""

    def __init__(self, url: str, timeout: float):
        self.base = url if url.endswith("/") else url + "/"
        parts = urllib.parse.urlsplit(self.base)
        self.name = parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")).geturl() \
            if parts.hostname else self.base  # never shows user:password@
        self.timeout = timeout
        self.opener = urllib.request.build_opener(_HttpOnly)

    def where(self, rel: str) -> str:
        return self.name + rel  # the name ends with "/"

    def _get(self, rel: str):
        url = urllib.parse.urljoin(self.base, urllib.parse.quote(rel))
        request = urllib.request.Request(url, headers={"User-Agent": "ucc-pull", "Accept-Encoding": "identity"})
        try:
            return self.opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise PullError(f"{self.where(rel)}: HTTP {exc.code} {exc.reason}.") from None
        except (urllib.error.URLError, OSError) as exc:
            raise PullError(f"Cannot fetch {self.where(rel)}: {getattr(exc, 'reason', exc)}.") from None

    def read(self, rel: str, limit: int) -> bytes:
        with self._get(rel) as response:
            try:
                data = response.read(limit + 1)
            except OSError as exc:
                raise PullError(f"Reading {self.where(rel)} failed: {exc}.") from None
        if len(data) > limit:
            raise PullError(f"Refused: {self.where(rel)} is larger than {limit} bytes.")
        return data

    def copy(self, rel: str, target: Path, size: int, progress: Progress | None) -> tuple[str, int]:
        with self._get(rel) as response:
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) != size:
                raise PullError(f"Refused: {self.where(rel)} has {length} bytes; its manifest says {size}.")
            try:
                return stream(response, target, size, rel, progress)
            except OSError as exc:  # timeouts and resets while reading
                raise PullError(f"Reading {self.where(rel)} failed: {exc}; the current index keeps serving.") from None
