"""The indexer: documents in, a crash-safe FAISS + SQLite index out, and search over it.

It imports nothing from app/ or bots/. Its public surface, what the assistant and the faces may
import, is the modules named in ``__all__``:

- ``settings``: every ``UCC_*`` setting, declared once (:func:`settings.load_settings`);
- ``errors``: the project's one exception family (:class:`errors.UccError`);
- ``build``: incremental, crash-safe builds (:func:`build.build_index`);
- ``search``: hybrid retrieval over the live generation (:class:`search.Searcher`);
- ``store``: the on-disk index, the live generation and SQLite connection helpers;
- ``crosslingual``: language detection and the multilingual vector field;
- ``text``: text helpers shared with the assistant (accent folding);
- ``datafiles``: the names of what lives in ``UCC_DATA_DIR``;
- ``publish``, ``pull``: shipping the live generation from a build host to web hosts (reading the
  published folder is ``indexer.publication``, internal to the pull);
- ``backup``, ``integrity``, ``stats``, ``evaluation``, ``onnx_export``, ``embedders``: operations
  on a data folder and the embedding model.

The loaders (``indexer.loaders``), the chunker and the document types are internal to the build.
Importing this package does no work; each module loads its heavy dependencies lazily.
"""

__all__ = [
    "backup",
    "build",
    "crosslingual",
    "datafiles",
    "embedders",
    "errors",
    "evaluation",
    "integrity",
    "onnx_export",
    "publish",
    "pull",
    "search",
    "settings",
    "stats",
    "store",
    "text",
]
