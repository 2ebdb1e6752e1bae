"""``ucc model export``: the ONNX exports of the embedding model, made once at set-up.

Register it on the main group::

    main.add_command(model_group)
"""

from __future__ import annotations

import json

import click

from indexer.settings import load_settings


@click.group("model")
def model_group():
    """The embedding model: export it for the ONNX backends (UCC_EMBED_BACKEND)."""


@model_group.command("export")
@click.option("--force", is_flag=True, help="Export again even when a valid export is there.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def export_command(force, as_json):
    """Export the embedding model to ONNX (fp32 and int8) into UCC_ONNX_DIR, once.

    Skips a valid export (same weights, files intact); otherwise writes a temporary folder
    and renames it into place. .ci/setup runs it. Needs no network.

    Example: ucc model export --json
    """
    from indexer.embedders import resolve_model_path
    from indexer.onnx_export import ensure_export, onnx_dir

    settings = load_settings()
    report = ensure_export(resolve_model_path(settings), onnx_dir(settings), force=force)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    if not report.exported:
        click.echo(f"ONNX export up to date: {report.folder}")
        return
    check = report.manifest["check"]
    click.echo(f"Exported to {report.folder} in {report.seconds:.1f} s (least cosine to PyTorch on the probes: "
               f"fp32 {check['onnx']['min_cosine_to_torch']:.4f}, int8 {check['onnx-int8']['min_cosine_to_torch']:.4f}).")
