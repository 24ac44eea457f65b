"""The one task runner: a list of independent tasks, in this process or on Dask.

Sweeps, sensitivity designs and epistemic samples all end here as a list of picklable
tasks and one function. ``workers=1`` without a scheduler runs them in order in this
process; otherwise they go to Dask distributed — a ``LocalCluster`` of ``workers``
single-threaded processes, or the existing cluster at ``scheduler`` — and come back in
task order. A task's result depends only on the task (random streams are keyed by the
replication index; see :mod:`nansei.streams`), so results never depend on where or in
what order tasks ran. Progress goes through a callback; nothing is printed. With an
empty compile cache and a local cluster, the first task runs here before the others go
to the workers, so that the campaign's kernels compile once (with the helper process of
:mod:`nansei.campaign.warm`) instead of in every worker at once.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nansei.problems import NanseiError

__all__ = ["SchedulerError", "run_tasks", "task_client"]

#: Seconds to wait for an existing scheduler before saying it cannot be reached (the
#: issue asks for the message within 10 s).
CONNECT_TIMEOUT_S = 8


class SchedulerError(NanseiError, RuntimeError):
    """The scheduler address cannot be reached (one line, for the CLI)."""


@contextlib.contextmanager
def task_client(workers: int = 1, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask ``Client`` on a new ``LocalCluster`` (``workers`` processes, one thread
    each) or on the cluster at ``scheduler``; closed (and the local cluster shut down)
    on exit, also on Ctrl-C."""
    from dask.distributed import Client, LocalCluster

    for name in (
        "distributed",
        "distributed.worker",
        "distributed.scheduler",
        "distributed.nanny",
        "distributed.core",
        "distributed.comm",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as error:
            raise SchedulerError(
                f"--scheduler {scheduler}: cannot reach a Dask scheduler there within "
                f"{CONNECT_TIMEOUT_S} s ({type(error).__name__}: {error})"
            ) from None
        with client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: never clash with another cluster
        # A worker that loses its scheduler at shutdown (a loaded machine, Ctrl-C) logs
        # a traceback at ERROR; a task's own error still reaches us through its future.
        silence_logs=logging.CRITICAL,
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def _compile_cache_empty() -> bool:
    from nansei.campaign.warm import nothing_cached

    return nothing_cached()


def run_tasks(
    function: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    client: Any = None,
) -> list[Any]:
    """``[function(task) for task in tasks]``, here or on Dask; ``progress(1)`` after
    each finished task. ``client`` reuses an open Dask client."""
    tasks = list(tasks)
    if client is None and workers <= 1 and not scheduler:
        results = []
        for task in tasks:
            results.append(function(task))
            if progress:
                progress(1)
        return results
    if client is None:
        first: list[Any] = []
        if not scheduler and tasks and _compile_cache_empty():
            # A first run after installing: every local worker would compile the
            # campaign's kernels at once (about 18 s of CPU each). The first task runs
            # here instead, compiling them once into the cache the workers then load.
            first = [function(tasks[0])]
            tasks = tasks[1:]
            if progress:
                progress(1)
        with task_client(workers, scheduler) as own:
            return first + run_tasks(function, tasks, progress=progress, client=own)
    from dask.distributed import as_completed

    # pure=False: two equal tasks are still two tasks (Dask would otherwise merge them).
    # Each task carries its scenario and catalog (~80 kB), so a study of a few hundred
    # tasks is a graph of tens of MB: Dask's advice to scatter it is about far larger
    # data, and the warning would only reach the terminal.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
        futures = client.map(function, tasks, pure=False)
    index = {future.key: i for i, future in enumerate(futures)}
    results: list[Any] = [None] * len(tasks)
    try:
        for future in as_completed(futures):
            results[index[future.key]] = future.result()
            if progress:
                progress(1)
    except BaseException:
        client.cancel(futures)
        raise
    return results
