"""Running a submission's notebook in a bubblewrap sandbox, with limits, and reading it back.

Each notebook runs in ``bwrap`` (bubblewrap, a Debian package; no daemon, no root needed):

- new user, PID, network, IPC and UTS namespaces: no network but loopback, no view of the
  grader's or anyone else's processes; the runner is process 1, so when it exits (or the
  grader kills it) every process the submission started dies with it (``--die-with-parent``);
- a read-only view of the system, Python and the ``deepwhy`` package only: the instructor's
  source, the other submissions and the home folders are not there;
- a fresh, size-capped tmpfs as the working folder and as ``/tmp``: the only writable places,
  gone when the run ends;
- an address-space cap per process (``--memory``, default 2 GB), a time limit per cell and
  per notebook, and no access to the grader's stdout: the executed notebook comes back over a
  pipe, signed by the runner (:mod:`deepwhy.classroom.runner`).

Without bwrap (``sandbox=False``) the same runner runs as a plain subprocess with the same time
and memory limits, but with the grader's user rights: only for notebooks you trust.

Used in: :mod:`deepwhy.classroom.grading`.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile

from .. import _validate

RUNNER = pathlib.Path(__file__).with_name("runner.py")
WORKDIR = "/grading"
SCRATCH_BYTES = 256 * 2**20
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "fonts", "localtime", "passwd", "group", "nsswitch.conf",
        "mime.types", "alternatives", "matplotlibrc")
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_RUNNING: set = set()               # the runs under way, so that stop_all() can end them


def parse_memory(value) -> int:
    """Return a memory size in bytes from ``"2G"``, ``"512M"``, ``"1.5GB"`` or a number of bytes.

    Raises ValueError unless the size is a positive amount.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return int(value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", str(value), flags=re.IGNORECASE)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"memory must be a positive size such as '2G' or '512M', got {value!r}")
    return int(float(match.group(1)) * 1024 ** "_kmgt".index((match.group(2) or "_").lower()))


@dataclasses.dataclass
class Limits:
    """Time and memory limits of one notebook run: seconds per cell, per notebook, bytes per process."""

    cell_timeout: float = 60.0
    notebook_timeout: float = 600.0
    memory: int = 2 * 2**30
    threads: int = 1

    def __post_init__(self):
        self.cell_timeout = _validate.positive_float("cell_timeout", self.cell_timeout)
        self.notebook_timeout = _validate.positive_float("notebook_timeout", self.notebook_timeout)
        self.memory = parse_memory(self.memory)
        self.threads = _validate.positive_int("threads", self.threads)


@functools.lru_cache(maxsize=1)
def problem() -> str | None:
    """Return why bubblewrap cannot sandbox a notebook here, or None if it can."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return ("bubblewrap (bwrap) is not installed; install it (Debian/Ubuntu: apt-get install bubblewrap) "
                "or pass --no-sandbox to run the students' code with your own user rights")
    try:
        done = subprocess.run(_bwrap_args() + ["--", sys.executable, "-I", "-c", "pass"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bwrap could not start: {e}"
    if done.returncode != 0:
        return (f"bwrap cannot create a sandbox here ({' '.join(done.stderr.split())[:200]}); user namespaces "
                "may be disabled. Enable them, or pass --no-sandbox to run the students' code with your own "
                "user rights")
    return None


def _readonly_paths() -> list[str]:
    """Return the folders the sandbox shows read-only: Python, its packages, the deepwhy package."""
    import deepwhy

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(pathlib.Path(deepwhy.__file__).resolve().parent.parent)}
    paths |= {os.path.realpath(p) for p in list(paths)}
    paths |= {str(pathlib.Path(os.path.realpath(sys.executable)).parent.parent)}
    out = []
    for p in sorted(paths, key=len):             # a folder inside one already shown needs no bind
        if any(p == q or p.startswith(q.rstrip("/") + "/") for q in out + list(_SYSTEM)):
            continue
        out.append(p)
    return out


def _bwrap_args(threads: int = 1) -> list[str]:
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--as-pid-1", "--cap-drop", "ALL",
            "--uid", "65534", "--gid", "65534", "--hostname", "grading"]
    for p in _SYSTEM:
        if os.path.islink(p):
            args += ["--symlink", os.readlink(p), p]
        elif os.path.isdir(p):
            args += ["--ro-bind", p, p]
    for name in _ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(SCRATCH_BYTES), "--tmpfs", "/tmp",
             "--size", str(SCRATCH_BYTES), "--tmpfs", WORKDIR]
    # After the scratch mounts, so that a project or environment that lives under /tmp (a fresh
    # clone there, say) is shown on top of the empty /tmp instead of being hidden by it.
    for p in _readonly_paths():
        args += ["--ro-bind", p, p]
    args += ["--chdir", WORKDIR, "--clearenv"]
    for key, value in _environment(WORKDIR, "/tmp", threads).items():
        args += ["--setenv", key, value]
    return args


def _environment(home: str, tmp: str, threads: int) -> dict:
    """Return the environment of the runner and kernel: static widgets, no progress bars, private dirs."""
    path = os.pathsep.join([str(pathlib.Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    return {"PATH": path, "HOME": home, "USER": "student", "LANG": "C.UTF-8", "TMPDIR": tmp,
            "DEEPWHY_STATIC": "1", "DEEPWHY_PROGRESS": "0", "PYTHONDONTWRITEBYTECODE": "1",
            "MPLCONFIGDIR": f"{tmp}/matplotlib", "IPYTHONDIR": f"{tmp}/ipython",
            "JUPYTER_RUNTIME_DIR": f"{tmp}/jupyter", "JUPYTER_CONFIG_DIR": f"{tmp}/jupyter-config",
            "JUPYTER_PLATFORM_DIRS": "1", "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
            "OPENBLAS_NUM_THREADS": str(threads), "MALLOC_ARENA_MAX": "2"}  # few arenas: less address space


@dataclasses.dataclass
class Result:
    """What came back from one run: the executed notebook (None if nothing trustworthy did) and notes."""

    notebook: object
    notes: list


def run(nb, limits: Limits, sandbox: bool = True) -> Result:
    """Execute ``nb`` with the runner, in the sandbox unless ``sandbox`` is False; return the result.

    The result is trusted only if its signature checks out; a run past the notebook's time
    limit (plus a margin for starting and stopping) is killed with everything it started.
    """
    key = secrets.token_hex(32)
    job = json.dumps({"notebook": nb, "key": key, "cell_timeout": limits.cell_timeout,
                      "notebook_timeout": limits.notebook_timeout, "memory": limits.memory}).encode()
    with tempfile.TemporaryDirectory(prefix="deepwhy-grading-") as scratch:
        if sandbox:
            cmd, env, cwd = _bwrap_args(limits.threads) + ["--", sys.executable, "-I", str(RUNNER)], None, None
        else:
            cmd = [sys.executable, "-I", str(RUNNER)]
            env, cwd = _environment(scratch, scratch, limits.threads), scratch
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, cwd=cwd, start_new_session=True)
        _RUNNING.add(proc)
        try:
            out, err = proc.communicate(job, timeout=limits.notebook_timeout + 60)
        except subprocess.TimeoutExpired:
            return Result(None, [f"the notebook ran past its {limits.notebook_timeout:g} s limit and was stopped"])
        finally:
            _kill(proc)
            _RUNNING.discard(proc)
    body, _, mac = out.rstrip(b"\n").rpartition(b"\n")
    good = hmac.new(bytes.fromhex(key), body, hashlib.sha256).hexdigest().encode()
    if not body or not hmac.compare_digest(mac.strip(), good):
        tail = " ".join(err.decode(errors="replace").split())[-300:]
        return Result(None, [f"the notebook's run returned no valid result (exit status {proc.returncode})"
                             + (f": {tail}" if tail and not sandbox else "")])
    data = json.loads(body)
    import nbformat

    return Result(nbformat.from_dict(data["notebook"]), list(data["notes"]))


def stop_all() -> None:
    """Kill every run under way, with everything it started (the grader was interrupted)."""
    for proc in list(_RUNNING):
        _kill(proc)


def _kill(proc) -> None:
    """Kill the process group of ``proc`` (bwrap, or the runner and its kernel) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
