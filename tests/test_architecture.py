"""The boundaries of docs/architecture.md hold, and every domain is under them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "tenure"
# Parts of Tenure that are not domains: shared pieces, the web layer itself, models, wiring.
NOT_DOMAINS = {"kit", "models", "web", "warehouse", "book"}


def contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def test_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def test_every_domain_is_behind_its_public_face_for_the_web():
    domains = {
        f"tenure.{p.name}"
        for p in SRC.iterdir()
        if (p / "__init__.py").exists() and p.name not in NOT_DOMAINS
    }
    forbidden = set(contracts()["web-public-face"]["forbidden_modules"])  # type: ignore[arg-type]
    assert domains - forbidden == set(), "add these domains to web-public-face in pyproject.toml"


def test_every_pure_core_listed_exists():
    for module in contracts()["pure-cores"]["source_modules"]:  # type: ignore[union-attr]
        path = SRC.parent / (str(module).replace(".", "/") + ".py")
        assert path.exists(), f"{module}: listed as a pure core but there is no {path}"
