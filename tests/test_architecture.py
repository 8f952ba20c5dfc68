"""The apps are layers (README "Architecture"): import-linter holds the contract written
in pyproject.toml, as `make lint` does."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_apps_import_only_the_layers_below_them():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
    assert "Apps are layers KEPT" in result.stdout
