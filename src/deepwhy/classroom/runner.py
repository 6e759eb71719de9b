"""Execute one notebook inside the grading sandbox and hand it back, signed. Run as a script.

The grader starts ``python -I runner.py`` (inside bubblewrap, as process 1 of its own PID
namespace) and writes a JSON job to its stdin: the notebook, a signing key, the limits. The
runner

- makes itself non-dumpable, so the kernel (same user) can neither read its memory nor open
  its file descriptors through ``/proc``, and caps the address space of itself and the kernel;
- starts an IPython kernel over IPC sockets (no TCP port, no transport warning) whose
  stdout/stderr go to /dev/null: the kernel's output reaches the grader only in the notebook;
- runs the cells in order: the exercises' cells (solution and check, which run the student's
  code) with a time limit each, the instructor's cells within the notebook's time limit. A cell
  that ignores the interrupt sent at its limit (a loop catching ``KeyboardInterrupt``), or kills
  the kernel, gets an error output; the kernel is restarted, the cells above are replayed
  (except those of exercises that broke it), and grading goes on with the next cell. Past the
  notebook's deadline the remaining cells are marked as not run;
- writes the executed notebook as one JSON line, then its HMAC-SHA256 under the job's key, to
  stdout. Without the key, which only the runner and the grader hold, no one can forge it.

This file imports nothing from deepwhy, so that the runner starts fast and never imports torch.
Used in: :mod:`deepwhy.classroom.sandbox`.
"""
from __future__ import annotations

import asyncio
import copy
import ctypes
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

RUN_META = "deepwhy_grading"       # the cell metadata the grader sets (see assemble.py)
RESTARTS = 12                      # at most this many kernel restarts per notebook


def _harden(memory: int) -> None:
    """Make this process non-dumpable (Linux) and cap its address space (inherited by the kernel)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)      # PR_SET_DUMPABLE = 4
        except (OSError, AttributeError):
            pass
    if memory > 0:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _error(ename: str, evalue: str) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


class _Limits:
    def __init__(self, job):
        self.cell = float(job["cell_timeout"])
        self.grace = min(10.0, max(2.0, self.cell / 2))
        self.deadline = time.monotonic() + float(job["notebook_timeout"])
        self.max_output = int(job.get("max_output", 2_000_000))


async def _start(client) -> None:
    from jupyter_client.manager import AsyncKernelManager

    client.km = AsyncKernelManager(kernel_name="python3", transport="ipc")
    await client.async_start_new_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        stdin=subprocess.DEVNULL)
    await client.async_start_new_kernel_client()


async def _stop(client) -> None:
    try:
        await client._async_cleanup_kernel()
    except Exception:  # noqa: BLE001 - a kernel that is already gone
        pass
    client.km = client.kc = None


async def _cell(client, cell, index: int, limits: _Limits) -> str:
    """Run one cell; return "ok", "dead" (the kernel died) or "hung" (it ignored the interrupt)."""
    from nbclient.exceptions import DeadKernelError

    left = max(1.0, limits.deadline - time.monotonic())   # the instructor's cells: the notebook's budget
    budget = min(limits.cell, left) if _key(cell) is not None else left
    client.timeout = int(max(1, budget))
    checking = cell.get("metadata", {}).get(RUN_META, {}).get("role") == "check"   # kept out of In[] and _ih
    task = asyncio.ensure_future(client.async_execute_cell(cell, index, store_history=not checking))
    done, _ = await asyncio.wait({task}, timeout=budget + limits.grace)
    if not done:                                 # still busy after the interrupt: the kernel must go
        task.cancel()
        try:
            await task
        except BaseException:  # noqa: BLE001 - nbclient turns the cancellation into DeadKernelError
            pass
        return "hung"
    try:
        task.result()
    except DeadKernelError:
        return "dead"
    except Exception as e:  # noqa: BLE001 - anything nbclient raises: the cell failed, grading goes on
        cell.outputs = [_error("GraderError", f"{type(e).__name__}: {e}")]
        return "dead"
    size = sum(len(json.dumps(o)) for o in cell.get("outputs", []))
    if size > limits.max_output:
        cell.outputs = [o for o in cell.outputs if o.get("output_type") == "error"] + [
            {"output_type": "stream", "name": "stdout", "text": f"[{size} bytes of output dropped]\n"}]
    return "ok"


def _key(cell) -> str | None:
    meta = cell.get("metadata", {}).get(RUN_META, {})
    return meta.get("exercise")


async def run(nb, limits: _Limits) -> list[str]:
    """Execute ``nb`` in place, restarting the kernel after a cell that kills or hangs it; return notes."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=int(limits.cell), allow_errors=True, interrupt_on_timeout=True,
                            shutdown_kernel="immediate", kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": os.getcwd()}})
    notes, broken, pos, restarts = [], set(), 0, 0
    cells = nb.cells
    while any(c.cell_type == "code" and c.source.strip() for c in cells[pos:]):
        await _start(client)
        replayed = True
        for i in range(pos):                         # replay what the new kernel has not seen
            cell = cells[i]
            if cell.cell_type == "code" and cell.source.strip() and not {_key(cell), f"cell {i}"} & broken:
                if await _cell(client, copy.deepcopy(cell), i, limits) != "ok":
                    broken.add(_key(cell) or f"cell {i}")
                    replayed = False
                    break
        for i in range(pos if replayed else len(cells), len(cells)):
            cell = cells[i]
            pos = i + 1
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if time.monotonic() > limits.deadline:
                for rest in cells[i:]:
                    if rest.cell_type == "code":
                        rest.outputs = [_error("NotRun", "the notebook's time limit was reached before this cell")]
                pos = len(cells)
                notes.append(f"the notebook's time limit was reached at cell {i}; later cells did not run")
                break
            outcome = await _cell(client, cell, i, limits)
            if outcome == "ok":
                continue
            if outcome == "dead":
                cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
                cell.outputs.append(_error("DeadKernel", "the kernel died while this cell ran"))
            else:
                cell.outputs.append(_error("TimeLimit", f"the cell ran past its {limits.cell:g} s limit "
                                                        "and ignored the interrupt"))
            broken.add(_key(cell) or f"cell {i}")
            break
        await _stop(client)
        restarts += 1
        if restarts > RESTARTS:
            notes.append(f"the kernel was restarted {RESTARTS} times; the remaining cells did not run")
            break
    return notes


def main() -> int:
    """Read the job from stdin, run it, write the signed result to stdout."""
    job = json.loads(sys.stdin.buffer.read())
    sys.stdin.close()
    _harden(int(job.get("memory", 0)))
    import nbformat

    nb = nbformat.from_dict(job["notebook"])
    limits = _Limits(job)
    try:
        notes = asyncio.run(run(nb, limits))
    except Exception as e:  # noqa: BLE001 - report what happened; the grader treats it as a failure
        notes = [f"the runner stopped: {type(e).__name__}: {e}"]
    out = json.dumps({"notebook": nb, "notes": notes})
    mac = hmac.new(bytes.fromhex(job["key"]), out.encode(), hashlib.sha256).hexdigest()
    sys.stdout.write(out + "\n" + mac + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
