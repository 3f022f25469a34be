"""Loading rule files: YAML from rules/<name>/ruleset.yaml, or canonical JSON as stored by hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from eligibility.errors import RulesetError
from eligibility.rules.schema import Ruleset

REPO_RULES = Path(__file__).resolve().parents[3] / "rules"
"""The rule data shipped with the service (the repository's rules/ directory)."""


def load_ruleset_dict(data: Any, source: str = "<data>") -> Ruleset:
    """Validate parsed rule data into a Ruleset, with errors that name the place."""
    try:
        return Ruleset.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise RulesetError(f"{source}: {problems}") from None


def load_ruleset_file(path: Path) -> Ruleset:
    """Load and validate a ruleset YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise RulesetError(f"{path}: {e}") from None
    return load_ruleset_dict(data, str(path))


def load_ruleset_json(content: bytes) -> Ruleset:
    """Load a ruleset from its canonical JSON (as stored by hash)."""
    return load_ruleset_dict(orjson.loads(content))


def discover(rules_dir: Path) -> list[Path]:
    """Ruleset files under a rules directory (rules/<name>/ruleset.yaml)."""
    return sorted(rules_dir.glob("*/ruleset.yaml"))
