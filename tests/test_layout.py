"""The architecture holds: the engine imports NumPy and the standard library only, knows nothing of the
web server or the repository, and imports point one way, pages -> mnistapp -> mnistcore."""
import ast
import json
import re
import subprocess
import sys

import pytest

from mnistapp.paths import ROOT

ENGINE_CHECK = """
import json, pkgutil, importlib, sys
import mnistcore
for m in pkgutil.walk_packages(mnistcore.__path__, "mnistcore."):
    importlib.import_module(m.name)
print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))
"""


def test_every_engine_module_imports_only_numpy_and_the_standard_library():
    out = subprocess.run([sys.executable, "-c", ENGINE_CHECK], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    third_party = loaded - set(sys.stdlib_module_names) - {"__main__", "mnistcore", "numpy", "_distutils_hack"}
    assert not third_party, f"mnistcore pulled in {sorted(third_party)}"
    assert {"mnistcore", "numpy"} <= loaded
    assert not loaded & {"torch", "streamlit", "plotly", "PIL"}  # the ones that matter, named


def imported_modules(path, *, module_level_only: bool = False) -> set[str]:
    """Dotted names a Python file imports (absolute imports; relative ones stay in its package).
    With module_level_only, imports inside functions are left out."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in (tree.body if module_level_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
    return names


def top_level(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def python_files(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


SERVER_SIDE = {"threading", "subprocess", "multiprocessing", "concurrent", "asyncio", "signal", "socket"}
OUR_OTHERS = {"mnistapp", "pages", "harness", "training", "benchmarks", "conftest"}
# mnistcore/photo.py decodes PNG and JPEG with Pillow, imported inside one function only (a file format is
# not maths worth rewriting), so `import mnistcore` still loads NumPy alone and only a photo needs Pillow.
LAZY_PIL = {"photo.py"}


@pytest.mark.parametrize("folder, forbidden", [
    ("mnistcore", OUR_OTHERS | SERVER_SIDE | {"streamlit", "plotly", "PIL", "torch"}),
    ("mnistapp", {"pages", "harness", "training", "benchmarks", "conftest", "torch"}),
    ("mnistapp/figures", {"streamlit", "pages", "torch", "threading"}),
    ("training", {"streamlit", "plotly", "pages", "harness", "benchmarks", "conftest"}),
    ("harness", {"pages", "benchmarks", "conftest", "torch"}),
    ("benchmarks", {"pages", "conftest"}),
])
def test_imports_point_one_way(folder, forbidden):
    for path in python_files(folder):
        allowed = {"PIL"} if folder == "mnistcore" and path.name in LAZY_PIL else set()
        found = top_level(imported_modules(path)) & (forbidden - allowed)
        assert not found, f"{path.relative_to(ROOT)} imports {found}"
        assert not top_level(imported_modules(path, module_level_only=True)) & forbidden, f"{path.name} at module level"


def test_no_module_imports_a_test_module():
    for folder in ("mnistcore", "mnistapp", "harness", "training", "benchmarks"):
        for path in python_files(folder):
            tests = {n for n in top_level(imported_modules(path)) if n.startswith("test_") or n in ("tests", "reference")}
            assert not tests, f"{path.relative_to(ROOT)} imports {tests}"


def test_figure_builders_import_nothing_of_the_app_but_each_other():
    for path in python_files("mnistapp/figures"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 1:
                raise AssertionError(f"{path.name} imports from the app side (level {node.level})")
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.startswith("mnistapp."):
                # and the catalogue, which has no Streamlit, for their words in the visitor's language
                assert node.module.startswith("mnistapp.figures") or node.module == "mnistapp.catalogue", \
                    f"{path.name} imports {node.module}"


def test_pages_and_the_streamlit_side_build_no_figure_of_their_own():
    """Figures are built in mnistapp/figures, testable without Streamlit; the rest of the app caches and shows
    them, so it may name plotly in a type hint (under `if TYPE_CHECKING:`) and nowhere else."""
    app_side = [p for p in python_files("mnistapp") if "figures" not in p.relative_to(ROOT).parts]
    for path in [ROOT / "app.py", *python_files("pages"), *app_side]:
        tree = ast.parse(path.read_text())
        hints = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
                 for n in ast.walk(node)}
        plotly = [ast.unparse(n) for n in ast.walk(tree) if id(n) not in hints and (
            isinstance(n, ast.Import) and any(a.name.split(".")[0] == "plotly" for a in n.names)
            or isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "plotly")]
        assert not plotly, f"{path.relative_to(ROOT)}: {plotly}"


PUBLIC_STREAMLIT = ("streamlit.components", "streamlit.testing")  # submodules Streamlit documents


def test_only_mnistapp_runtime_imports_streamlits_internals():
    """They are no public API and change without notice, so one module wraps the few the app needs."""
    for path in [ROOT / "app.py", *python_files("pages"), *python_files("mnistapp")]:
        internal = {n for n in imported_modules(path) if n.startswith("streamlit.") and not n.startswith(PUBLIC_STREAMLIT)}
        assert not internal or path == ROOT / "mnistapp" / "runtime.py", f"{path.relative_to(ROOT)} imports {internal}"


def test_the_training_scripts_take_only_the_repositorys_paths_from_the_app_package():
    for path in python_files("training"):
        for name in imported_modules(path):
            assert not name.startswith("mnistapp") or name == "mnistapp.paths", f"{path.name} imports {name}"


REPOSITORY_PATH = re.compile(r"mnist_model\.|drawn-digits|^data$|^data/[\w-]+\.|^\.\./")


def code_strings_and_names(path) -> list[tuple[int, str]]:
    """Every string constant in a module's code (docstrings left out) and every use of __file__, with its line."""
    tree = ast.parse(path.read_text())
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.Name) and node.id == "__file__":
            found.append((node.lineno, node.id))
    return found


def test_the_engine_names_no_path_of_the_repository():
    """The caller says where MNIST and the models are; the engine works the same installed anywhere."""
    for path in python_files("mnistcore"):
        for line, text in code_strings_and_names(path):
            assert text != "__file__" and not REPOSITORY_PATH.search(text), f"{path.relative_to(ROOT)}:{line}: {text!r}"


def test_the_repository_path_check_finds_what_it_looks_for(tmp_path):
    probe = tmp_path / "probe.py"
    for code in ('ROOT = Path(__file__).parent.parent', 'MODEL = ROOT / "mnist_model.pth"', 'D = Path("data")'):
        probe.write_text(f'"""mnist_model.pth in a docstring is fine."""\n{code}\n')
        hits = [t for _, t in code_strings_and_names(probe) if t == "__file__" or REPOSITORY_PATH.search(t)]
        assert hits, code


def test_pillow_is_imported_only_inside_the_photo_decoder():
    tree = ast.parse((ROOT / "mnistcore" / "photo.py").read_text())
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                 and any(isinstance(i, ast.ImportFrom) and i.module == "PIL" for i in ast.walk(n))]
    assert [f.name for f in functions] == ["_open"]


def test_no_two_modules_share_a_name_across_the_engine_the_app_and_the_benchmarks():
    """A reader who meets `load.py` should not have to ask which one: the engine's file loader, or something else."""
    engine = {p.stem for p in python_files("mnistcore")} - {"__init__", "__main__"}
    for folder in ("benchmarks", "harness", "training"):
        clash = engine & {p.stem for p in python_files(folder)}
        assert not clash, f"{folder}/ and mnistcore/ both have {clash}"


def test_pages_start_with_the_routing_guard():
    for path in sorted((ROOT / "pages").glob("*.py")):
        body = [n for n in ast.parse(path.read_text()).body
                if not isinstance(n, (ast.Import, ast.ImportFrom)) and not (isinstance(n, ast.Expr)
                                                                           and isinstance(n.value, ast.Constant))]
        first = body[0]
        assert isinstance(first, ast.Expr) and ast.unparse(first) == "route_through_app()", path.name
