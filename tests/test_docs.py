"""The examples of docs/api.md run as written (from the repository's folder)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def code_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)


def test_the_api_page_runs(monkeypatch):
    pytest.importorskip("pandas")
    monkeypatch.chdir(ROOT)
    blocks = code_blocks(ROOT / "docs" / "api.md")
    assert len(blocks) >= 6
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, "docs/api.md", "exec"), namespace)
    text = printed.getvalue()
    assert "draft.yaml:7:14: countries.kz.growth.rat: unknown field" in text
    assert "countries.kz.growth.rate" in text
