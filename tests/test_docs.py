"""The README and docs/ hold: every link and every repository path they name exists, the README's tree is
the repository's, its engine snippet runs, it stays a front door (at most 150 lines), and no tracked file
carries the history of its own making (issue numbers, numbered sessions or rounds of work)."""
import re
import subprocess
from pathlib import Path

import pytest

from mnistapp.paths import ROOT
from mnistcore import Params

README = ROOT / "README.md"
MAX_README_LINES = 150
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
PATH_LIKE = re.compile(r"[\w.-]+(?:/[\w.-]+)*/?")
FILE_SUFFIXES = {".py", ".js", ".md", ".toml", ".ini", ".txt", ".json", ".pth", ".npz", ".gz", ".png", ".cfg",
                 ".yml", ".yaml", ".sh"}
ROOT_FILES_WITHOUT_SUFFIX = {"Makefile", "LICENSE"}
HISTORY = re.compile(
    r"\bissues?\s*#?\d+"               # an issue's number
    r"|\btracker\s+issue"              # an issue of the tracker, named as such
    r"|\bsessions?\s+\d+"              # a numbered session of work
    r"|(?<![-\w])rounds?\s+\d+",       # a numbered round of work (a --rounds flag is no history)
    re.IGNORECASE)


def tracked() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return out.splitlines()


def tracked_paths() -> set[str]:
    """Every tracked file and every folder that holds one, as paths from the repository's root."""
    files = tracked()
    folders = {str(Path(f).parents[i]) for f in files for i in range(len(Path(f).parts) - 1)}
    return set(files) | folders


def ignored_folders() -> set[str]:
    """The top-level folders .gitignore names: generated output (artifacts/, .venv/) a doc may point into."""
    lines = (ROOT / ".gitignore").read_text().splitlines()
    return {line.strip().strip("/") for line in lines if line.strip().endswith("/") and "*" not in line}


def docs() -> list[Path]:
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def prose(text: str) -> str:
    """The text outside fenced code blocks, with the blocks blanked line for line (line numbers stay)."""
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in prose(path.read_text()).splitlines() if line.startswith("#")}


def repository_path(token: str) -> str | None:
    """The repository path a code span names, or None when it names none (a command, a URL, an option,
    a file name of the reader's own such as `.pth`)."""
    if not PATH_LIKE.fullmatch(token) or token.startswith(("../", "./")) or "..." in token:
        return None
    path = token.rstrip("/")
    if "/" in token or Path(path).suffix in FILE_SUFFIXES or path in ROOT_FILES_WITHOUT_SUFFIX:
        return path
    return None


@pytest.mark.parametrize("doc", docs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_and_repository_path_in_the_docs_exists(doc):
    paths, ignored = tracked_paths(), ignored_folders()
    missing = []
    for n, line in enumerate(prose(doc.read_text()).splitlines(), start=1):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            file, _, anchor = target.partition("#")
            where = (doc.parent / file).resolve() if file else doc
            relative = where.relative_to(ROOT).as_posix() if where.is_relative_to(ROOT) else None
            if relative not in paths:
                missing.append(f"{doc.name}:{n}: link to {target}")
            elif anchor and where.suffix == ".md" and anchor not in anchors(where):
                missing.append(f"{doc.name}:{n}: no heading #{anchor} in {relative}")
        for token in CODE_SPAN.findall(LINK.sub("", line)):
            path = repository_path(token)
            if path and path not in paths and path.split("/")[0] not in ignored:
                missing.append(f"{doc.name}:{n}: `{token}` is not in the repository")
    assert not missing, "\n".join(missing)


def readme_tree() -> list[tuple[int, str]]:
    """The README's tree: (indent, name) for each line of its ```text block."""
    blocks = [body for lang, body in FENCE.findall(README.read_text()) if lang == "text" and "mnistcore/" in body]
    assert len(blocks) == 1, "the README has one tree, in a ```text block"
    return [(len(line) - len(line.lstrip()), line.split()[0]) for line in blocks[0].splitlines() if line.strip()]


def test_the_readmes_tree_lists_exactly_the_top_level_folders_and_only_files_that_exist():
    paths = tracked_paths()
    top_folders = {p for p in paths if "/" not in p and (ROOT / p).is_dir() and not p.startswith(".")}
    tree = readme_tree()
    assert {name.rstrip("/") for indent, name in tree if indent == 0 and name.endswith("/")} == top_folders
    parents: list[str] = []
    for indent, name in tree:
        depth = indent // 2
        parents = parents[:depth]
        path = "/".join([*parents, name.rstrip("/")])
        assert path in paths, f"the README's tree names {path}, which is not in the repository"
        if name.endswith("/"):
            parents.append(name.rstrip("/"))


def test_the_readme_is_a_front_door_of_at_most_150_lines():
    assert len(README.read_text().splitlines()) <= MAX_README_LINES


def test_the_readmes_engine_snippet_runs_and_one_step_lowers_the_loss(monkeypatch, capsys):
    blocks = [body for lang, body in FENCE.findall(README.read_text()) if lang == "python"]
    assert len(blocks) == 1, "the README shows the engine in one ```python block"
    monkeypatch.chdir(ROOT)  # its paths are the repository's, as a reader at the root would run it
    scope: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), scope)
    assert isinstance(scope["params"], Params) and isinstance(scope["new"], Params)
    new_loss = scope["cross_entropy"](scope["forward"](scope["new"], scope["x"]).logits, scope["y"])
    assert new_loss < scope["loss"]
    assert "loss" in capsys.readouterr().out


def history_in(text: str) -> list[str]:
    return [m.group(0) for m in HISTORY.finditer(text)]


def test_no_tracked_file_carries_issue_numbers_or_numbered_rounds_of_work():
    hits = []
    for name in tracked():
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):  # data files; a file deleted, not staged
            continue
        for n, line in enumerate(text.splitlines(), start=1):
            hits += [f"{name}:{n}: {found!r}" for found in history_in(line)]
    assert not hits, "say what the code does and why, not how it came to be:\n" + "\n".join(hits)


def test_the_history_check_finds_what_it_looks_for_and_nothing_else():
    # written with "_" for the space, so that this file does not match itself
    history = [s.replace("_", " ") for s in ("issue_12", "issue_#12", "(issue_15)", "Issue_17's bars",
                                             "issues_15 and 16", "session_16", "round_3", "tracker_issue")]
    innocent = ["--rounds 5", "wrap around 256", "3 rounds", "8 sessions drawing", "a session's model",
                "known issues", "the round has moved on"]
    assert all(history_in(s) for s in history), [s for s in history if not history_in(s)]
    assert not any(history_in(s) for s in innocent), [s for s in innocent if history_in(s)]
