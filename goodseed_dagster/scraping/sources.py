"""sources.yaml: the sellers to crawl. A bad entry is reported with file, line and field; the rest load."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from goodseed_dagster.errors import ConfigError
from goodseed_dagster.scraping.models import SourceConfig


@dataclass
class SourcesFile:
    sources: list[SourceConfig] = field(default_factory=list)
    errors: list[ConfigError] = field(default_factory=list)


def _key_lines(node: yaml.Node) -> dict[str, int]:
    """Line (1-based) of each key of a mapping node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def parse_sources(text: str, file: str = "sources.yaml") -> SourcesFile:
    """Validate every entry of `sellers:`; duplicates and invalid entries become errors, not crashes."""
    out = SourcesFile()
    try:
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        out.errors.append(
            ConfigError(
                file, f"not valid YAML: {getattr(e, 'problem', e)}", line=mark.line + 1 if mark else None
            )
        )
        return out
    if data is None:
        return out
    if not isinstance(data, dict) or not isinstance(data.get("sellers"), list):
        out.errors.append(ConfigError(file, "expected a top-level 'sellers:' list", line=1))
        return out
    seq = (
        next(v for k, v in root.value if k.value == "sellers") if isinstance(root, yaml.MappingNode) else None
    )
    nodes = seq.value if isinstance(seq, yaml.SequenceNode) else []
    seen: set[str] = set()
    for i, entry in enumerate(data["sellers"]):
        node = nodes[i] if i < len(nodes) else None
        line = node.start_mark.line + 1 if node is not None else None
        if not isinstance(entry, dict):
            out.errors.append(ConfigError(file, "each seller must be a mapping", line=line))
            continue
        try:
            source = SourceConfig.model_validate(entry)
        except ValidationError as e:
            lines = _key_lines(node) if node is not None else {}
            for err in e.errors():
                name = str(err["loc"][0]) if err["loc"] else None
                out.errors.append(
                    ConfigError(
                        file,
                        err["msg"],
                        line=lines.get(name or "", line),
                        field=f"sellers[{i}].{'.'.join(map(str, err['loc']))}",
                    )
                )
            continue
        if source.slug in seen:
            out.errors.append(
                ConfigError(
                    file, f"duplicate seller slug {source.slug!r}", line=line, field=f"sellers[{i}].slug"
                )
            )
            continue
        seen.add(source.slug)
        out.sources.append(source)
    return out


def load_sources(path: Path) -> SourcesFile:
    if not path.exists():
        return SourcesFile(errors=[ConfigError(str(path), "file not found")])
    return parse_sources(path.read_text(encoding="utf-8"), str(path))


def dump_sources(entries: list[dict[str, Any]]) -> str:
    return yaml.safe_dump({"sellers": entries}, sort_keys=False, allow_unicode=True)
