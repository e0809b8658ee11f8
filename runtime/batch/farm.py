"""Running render jobs: one after another on this machine, or spread over a Ray cluster (a local one when
no address is given), with failed jobs tried again, progress, and a summary table."""
from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .jobs import Job, Rendered, render_job

log = logging.getLogger(__name__)

LOCAL_RAY_STORE = 128 * 1024 ** 2       # videos come back through the object store; they are small
Render = Callable[[Job], Rendered]


@dataclass
class Outcome:
    job: Job
    attempts: int
    frames: int = 0
    seconds: float = 0.0                  # rendering wall time on the worker
    worker: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class LoopPool:
    """Jobs rendered one after another in this process."""

    def __init__(self, render: Render = render_job) -> None:
        self.render = render
        self.where = "this machine, one job at a time"
        self._queue: deque[tuple[int, Job]] = deque()
        self._handles = 0

    def submit(self, job: Job) -> int:
        self._handles += 1
        self._queue.append((self._handles, job))
        return self._handles

    def wait(self) -> tuple[int, Rendered | BaseException]:
        handle, job = self._queue.popleft()
        try:
            return handle, self.render(job)
        except Exception as e:          # a job's failure is its outcome, never the batch's end
            return handle, e

    def close(self) -> None:
        pass


class RayPool:
    """Jobs as Ray tasks, one CPU each: on the cluster at `address`, or on a Ray started on this machine."""

    def __init__(self, address: str | None, render: Render = render_job, cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise SystemExit("cohost render --ray needs Ray: pip install -e '.[farm]' in the Cohost folder, "
                             "or pip install ray") from None
        self.ray = ray
        options = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        if address is None:
            ray.init(num_cpus=cpus or os.cpu_count(), object_store_memory=LOCAL_RAY_STORE, **options)
        else:
            try:
                ray.init(address=address, **options)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise SystemExit(f"cohost render: cannot reach the Ray cluster at {address}: {e}") from None
        cpus_seen = int(ray.cluster_resources().get("CPU", 0))
        self.where = (f"Ray at {address}" if address else "a local Ray") + f" ({cpus_seen} CPUs)"
        self._remote = ray.remote(num_cpus=1, max_retries=0)(render)     # retries are counted here, not by Ray
        self._running: set = set()

    def submit(self, job: Job):
        ref = self._remote.remote(job)
        self._running.add(ref)
        return ref

    def wait(self):
        (ref,), _ = self.ray.wait(list(self._running), num_returns=1)
        self._running.discard(ref)
        try:
            return ref, self.ray.get(ref)
        except Exception as e:          # the task's exception, or its worker's death
            return ref, getattr(e, "cause", None) or e

    def close(self) -> None:
        self.ray.shutdown()


def run_jobs(jobs: list[Job], pool, retries: int = 2, progress: bool = True) -> list[Outcome]:
    """Render every job through `pool`, trying a failed one up to `retries` more times; write each video to
    its `out`. Returns the outcomes in the jobs' order."""
    attempts = {job.name: 1 for job in jobs}
    outcomes: dict[str, Outcome] = {}
    handles = {pool.submit(job): job for job in jobs}
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), unit="job", desc="render", file=sys.stderr)
    try:
        while handles:
            handle, result = pool.wait()
            job = handles.pop(handle)
            if isinstance(result, BaseException):
                if attempts[job.name] <= retries:
                    log.warning("%s failed (%s); trying again", job.name, describe(result))
                    attempts[job.name] += 1
                    handles[pool.submit(job)] = job
                    continue
                outcomes[job.name] = Outcome(job, attempts[job.name], error=describe(result))
            else:
                outcomes[job.name] = _keep(job, attempts[job.name], result)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return [outcomes[job.name] for job in jobs]


def _keep(job: Job, attempts: int, result: Rendered) -> Outcome:
    out = Path(job.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(result.video)
    except OSError as e:
        return Outcome(job, attempts, error=f"cannot write {out}: {e.strerror or e}")
    return Outcome(job, attempts, result.frames, result.seconds, result.worker)


def describe(error: BaseException) -> str:
    first = str(error).strip().splitlines()
    return f"{type(error).__name__}: {first[0]}" if first else type(error).__name__


def summary(outcomes: list[Outcome], wall_s: float, where: str) -> str:
    """A table of the jobs (output, frames, render time, attempts, worker, result) and a total line."""
    rows = [("job", "output", "frames", "render s", "tries", "worker", "result")]
    for o in outcomes:
        rows.append((o.job.name, _short(o.job.out), str(o.frames) if o.ok else "-",
                     f"{o.seconds:.1f}" if o.ok else "-", str(o.attempts), o.worker or "-",
                     "ok" if o.ok else f"FAILED: {o.error}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.rjust(w) if 2 <= i <= 4 else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths)))
             + "  " + r[-1] for r in rows]
    done = sum(o.ok for o in outcomes)
    rate = done / wall_s * 60 if wall_s > 0 else 0.0
    lines.append(f"{done} of {len(outcomes)} jobs rendered in {wall_s:.1f} s ({rate:.1f} jobs/min) on {where}")
    return "\n".join(lines)


def _short(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def render_batch(jobs: list[Job], pool, retries: int, progress: bool) -> tuple[list[Outcome], float]:
    """Run the jobs and close the pool; returns the outcomes and the wall time."""
    started = time.perf_counter()
    try:
        outcomes = run_jobs(jobs, pool, retries, progress)
    finally:
        pool.close()
    return outcomes, time.perf_counter() - started
