"""Every file procflow writes is written whole: a failed write (a full disk) leaves the old file as
it was."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine.files
from cli import cli
from engine.files import write_atomic

MINI = Path(__file__).resolve().parent / "fixtures" / "workflows" / "mini.yaml"


def _disk_full(*_args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_write_replaces_the_file_whole_and_keeps_its_permissions(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    write_atomic(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_bytes(b"old content")
    monkeypatch.setattr(engine.files.os, "fsync", _disk_full)
    with pytest.raises(OSError) as caught:
        write_atomic(target, b"new content that does not fit")
    assert engine.files.is_disk_full(caught.value)
    assert target.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


@pytest.mark.parametrize("args", [
    ["diagram", str(MINI), "--format", "dot", "-o", "{out}"],
    ["docs", str(MINI), "--format", "markdown", "-o", "{dir}"],
])
def test_a_full_disk_is_an_error_saying_so_and_changes_nothing(tmp_path, monkeypatch, args):
    out = tmp_path / "mini.dot"
    out.write_text("old diagram", encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    (site / "mini.md").write_text("old page", encoding="utf-8")
    monkeypatch.setattr(engine.files.os, "fsync", _disk_full)
    result = CliRunner().invoke(cli, [a.format(out=out, dir=site) for a in args])
    assert result.exit_code == 1, result.output
    assert "the disk is full" in result.output and "Traceback" not in result.output
    assert out.read_text(encoding="utf-8") == "old diagram"
    assert (site / "mini.md").read_text(encoding="utf-8") == "old page"
    assert not [p for p in [*tmp_path.iterdir(), *site.iterdir()] if p.name.endswith(".tmp")]
