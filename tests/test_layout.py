"""The architecture holds: the engine imports NumPy and the standard library only, and imports point
one way, pages -> views -> mnistcore."""
import ast
import json
import subprocess
import sys

import pytest

from conftest import ROOT

ENGINE_CHECK = """
import json, pkgutil, importlib, sys
import mnistcore
for m in pkgutil.iter_modules(mnistcore.__path__):
    importlib.import_module(f"mnistcore.{m.name}")
print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))
"""


def test_every_engine_module_imports_only_numpy_and_the_standard_library():
    out = subprocess.run([sys.executable, "-c", ENGINE_CHECK], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    third_party = loaded - set(sys.stdlib_module_names) - {"__main__", "mnistcore", "numpy", "_distutils_hack"}
    assert not third_party, f"mnistcore pulled in {sorted(third_party)}"
    assert {"mnistcore", "numpy"} <= loaded
    assert not loaded & {"torch", "streamlit", "plotly", "PIL"}  # the ones that matter, named


def imported_packages(path, *, module_level_only: bool = False) -> set[str]:
    """Top-level names a Python file imports (absolute imports; relative ones stay in its package).
    With module_level_only, imports inside functions are left out."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in (tree.body if module_level_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


# The one exception: mnistcore/photo.py decodes PNG and JPEG with Pillow, imported inside decode_photo only
# (a file format is not maths worth rewriting), so `import mnistcore` still loads NumPy alone (the test
# above) and only a caller who reads a photo needs Pillow.
LAZY_PIL = {"photo.py"}


@pytest.mark.parametrize("folder, forbidden", [("mnistcore", {"views", "pages", "streamlit", "plotly", "PIL", "torch"}),
                                               ("views", {"pages", "torch"})])
def test_imports_point_one_way(folder, forbidden):
    for path in sorted((ROOT / folder).glob("*.py")):
        allowed = {"PIL"} if folder == "mnistcore" and path.name in LAZY_PIL else set()
        assert not imported_packages(path) & (forbidden - allowed), \
            f"{path.name} imports {imported_packages(path) & (forbidden - allowed)}"
        assert not imported_packages(path, module_level_only=True) & forbidden, f"{path.name} at module level"


def test_pillow_is_imported_only_inside_the_photo_decoder():
    tree = ast.parse((ROOT / "mnistcore" / "photo.py").read_text())
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                 and any(isinstance(i, ast.ImportFrom) and i.module == "PIL" for i in ast.walk(n))]
    assert [f.name for f in functions] == ["_open"]


def test_pages_start_with_the_routing_guard():
    for path in sorted((ROOT / "pages").glob("*.py")):
        body = [n for n in ast.parse(path.read_text()).body
                if not isinstance(n, (ast.Import, ast.ImportFrom)) and not (isinstance(n, ast.Expr)
                                                                           and isinstance(n.value, ast.Constant))]
        first = body[0]
        assert isinstance(first, ast.Expr) and ast.unparse(first) == "route_through_app()", path.name
