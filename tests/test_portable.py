"""A guard for the platforms CI cannot run (macOS, Windows): the add-on runs
inside Anki's own process there, so it must neither load native code nor
change how the whole process behaves.  Read from the source, no Anki needed."""
import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: modules that load native code
NATIVE = {"ctypes", "_ctypes", "cffi"}
#: calls that change the whole process (Anki and every other add-on)
PROCESS_WIDE = {
    "sys.setswitchinterval", "sys.setrecursionlimit", "sys.settrace", "sys.setprofile",
    "sys.set_int_max_str_digits", "gc.disable", "gc.set_threshold", "gc.freeze",
    "threading.stack_size", "threading.settrace", "threading.setprofile",
    "locale.setlocale", "socket.setdefaulttimeout", "os.putenv", "os.unsetenv",
    "os.environ.update", "os.environ.setdefault", "os.environ.pop", "faulthandler.enable",
    "mallopt", "malloc_trim", "signal.signal",
}
#: the headless server is a process of its own: it handles its own signals
OWN_PROCESS = {"hosts/headless.py": {"signal.signal"}}


def addon_modules():
    for path in sorted(REPO.rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if not relative.startswith(("tests/", "scripts/", ".venv", "build/")):
            yield relative, ast.parse(path.read_text(encoding="utf-8"))


def dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    return None


def test_no_module_loads_native_code():
    found = []
    for name, tree in addon_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            found += [f"{name}: {m}" for m in modules if m.split(".")[0] in NATIVE]
    assert found == []


def test_no_module_changes_process_wide_settings():
    found = []
    for name, tree in addon_modules():
        allowed = OWN_PROCESS.get(name, set())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = dotted(node.func) or ""
                if called.split(".")[-1] in PROCESS_WIDE or called in PROCESS_WIDE:
                    if called not in allowed:
                        found.append(f"{name}:{node.lineno}: {called}()")
            elif isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Subscript) and dotted(target.value) == "os.environ":
                        found.append(f"{name}:{node.lineno}: os.environ[...] =")
    assert found == []


def test_no_private_backend_calls_where_a_public_one_exists():
    """The raw protobuf calls of Anki's backend (`*_raw`) are never needed."""
    found = []
    for name, tree in addon_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.endswith("_raw") \
                    and "_backend" in (dotted(node.value) or ""):
                found.append(f"{name}:{node.lineno}: {dotted(node)}")
            elif isinstance(node, ast.Call) and dotted(node.func) == "getattr" and any(
                    isinstance(a, ast.Constant) and str(a.value).endswith("_raw") for a in node.args):
                found.append(f"{name}:{node.lineno}: getattr(..., '*_raw')")
    assert found == []


def test_backend_reached_only_through_compat():
    """Anki's private backend is reached only from compat.py, where each use
    says why Anki's public API does not serve (see its docstrings)."""
    found = []
    for name, tree in addon_modules():
        if name == "compat.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "_backend":
                found.append(f"{name}:{node.lineno}: {dotted(node)}")
    assert found == []
