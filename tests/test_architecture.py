"""The shape of the house (STYLE.md): arrows point one way, no module imports itself back through
another (a lazy import included), and no function is too long to read in one go."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "conversations", "storage", "prompts")
LONGEST = 60  # lines, decorators and docstring included


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _imports(path: Path, module: str) -> set[str]:
    """Every module this one imports, at any depth of the file (lazy imports count)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1]])
                base = f"{base}.{node.module}" if node.module else base
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


GRAPH = {module: _imports(path, module) for module, path in _modules()}


def test_arrows_point_one_way() -> None:
    """bot → conversations → storage; prompts is read by whoever renders; nothing Slack-shaped
    below bot/."""
    forbidden = {
        "storage": ("bot", "conversations", "prompts", "slack_bolt", "slack_sdk"),
        "conversations": ("bot", "slack_bolt", "slack_sdk"),
        "prompts": ("bot", "conversations", "slack_bolt", "slack_sdk"),
    }
    wrong = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        for banned in forbidden.get(module.split(".")[0], ())
        if target == banned or target.startswith(banned + ".")
    ]
    assert wrong == []


def _cycle_from(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for target in edges.get(node, ()):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_no_module_imports_itself_back() -> None:
    # A package's __init__ is what `from package import module` names first: edges go to modules.
    edges = {m: {t for t in targets if t in GRAPH and t != m} for m, targets in GRAPH.items()}
    for module in edges:  # `from a.b import c` names a.b, which its own __init__ needn't import
        edges[module] = {t for t in edges[module] if not module.startswith(t + ".")}
    cycles = [c for c in (_cycle_from(m, edges) for m in sorted(edges)) if c]
    assert cycles == [], " → ".join(cycles[0]) if cycles else ""


def _long_functions(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > LONGEST:
                yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)"


def test_no_function_is_longer_than_a_screen() -> None:
    found = [line for _, path in _modules() for line in _long_functions(path)]
    assert found == []


def test_every_docstring_pointer_is_true() -> None:
    """A docstring that names a file of the house names one that exists."""
    import re

    pointer = re.compile(
        r"\b((?:bot|conversations|storage|prompts|tests)/[\w/]+\.(?:py|mmd|j2|md|toml))"
    )
    documents = [path for _, path in _modules()] + sorted(ROOT.glob("conversations/**/*.md"))
    wrong = [
        f"{path.relative_to(ROOT)} names {name}"
        for path in documents
        for name in pointer.findall(path.read_text())
        if not (ROOT / name).exists()
    ]
    assert wrong == []
