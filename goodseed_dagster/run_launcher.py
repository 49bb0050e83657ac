"""Runs as forks of one warm process: the run launcher of a single host (`make demo`, bench/refresh.py).

Dagster's DefaultRunLauncher asks the code server to *spawn* every run: a fresh interpreter that imports
dagster, dagster-dbt, the stages and Great Expectations again, ~3 CPU-seconds before the first step, paid
by each of the nightly seller runs on two cores. This launcher keeps a multiprocessing fork server that
imports `preload` once (goodseed_dagster.warm_start); each run is a fork of it, executed by the function
Dagster's code server runs in its own run processes, so run events, interrupts and failure reporting are
Dagster's. The run's process is recorded in a run tag (host, pid, start time): termination and run
monitoring work from the webserver as from the daemon, on the same host. Kubernetes keeps K8sRunLauncher
(one pod per run) and docker compose the DefaultRunLauncher (runs in the code server's container).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from typing import Any, Self

import dagster as dg
import psutil
from dagster._core.errors import DagsterLaunchFailedError
from dagster._core.launcher import CheckRunHealthResult, LaunchRunContext, RunLauncher, WorkerStatus
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._grpc.impl import IPCErrorMessage, StartRunInSubprocessSuccessful, start_run_in_subprocess
from dagster._grpc.types import ExecuteExternalJobArgs
from dagster._serdes import ConfigurableClass, ConfigurableClassData
from dagster._utils.hosted_user_process import recon_job_from_origin

DEQUEUE_INTERVAL_S = 0.5
WORKER_TAG = "goodseed/run_worker"  # "<host>:<pid>:<process start time>" of the run's process
DEFAULT_PRELOAD = ("goodseed_dagster.warm_start",)


@dataclass(frozen=True)
class Worker:
    """A run's process as recorded in its tag; the start time tells it from a later process with its pid."""

    host: str
    pid: int
    started: float

    def tag(self) -> str:
        return f"{self.host}:{self.pid}:{self.started:.2f}"

    @classmethod
    def of(cls, run: dg.DagsterRun) -> Worker | None:
        host, _, rest = run.tags.get(WORKER_TAG, "").partition(":")
        pid, _, started = rest.partition(":")
        try:
            return cls(host, int(pid), float(started))
        except ValueError:
            return None

    @classmethod
    def running(cls, pid: int | None) -> Worker | None:
        try:
            return cls(socket.gethostname(), pid, psutil.Process(pid).create_time()) if pid else None
        except psutil.Error:
            return None

    def alive(self) -> bool:
        """Still the run's process (not a zombie, not another process that got the pid)."""
        try:
            process = psutil.Process(self.pid)
            return f"{process.create_time():.2f}" == f"{self.started:.2f}" and (
                process.status() != psutil.STATUS_ZOMBIE
            )
        except psutil.Error:
            return False


@dataclass
class Launched:
    """What the launching process keeps of a run it started: its status queue, its stop event, its process."""

    events: Any
    stop: Any
    process: Any = None


class ForkingRunLauncher(RunLauncher, ConfigurableClass):
    """Each run a fork of a fork server that imported `preload`; see the module docstring."""

    def __init__(
        self,
        preload: Sequence[str] = DEFAULT_PRELOAD,
        start_timeout_s: float = 120.0,
        inst_data: ConfigurableClassData | None = None,
    ) -> None:
        self._inst_data = inst_data
        self.preload = list(preload)
        self.start_timeout_s = start_timeout_s
        self._context: ForkServerContext | None = None
        self._launched: dict[str, Launched] = {}
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict[str, dg.Field]:
        return {
            "preload": dg.Field([str], is_required=False, default_value=list(DEFAULT_PRELOAD)),
            "start_timeout_s": dg.Field(float, is_required=False, default_value=120.0),
        }

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]) -> Self:
        return cls(inst_data=inst_data, **config_value)

    def _fork_server(self) -> ForkServerContext:
        """The fork server starts (and imports `preload`) with the first run this process launches."""
        if self._context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(self.preload)
            self._context = context
        return self._context

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        if run.job_code_origin is None or run.remote_job_origin is None:
            raise dg.DagsterInvariantViolationError(
                f"run {run.run_id} has no code origin: ForkingRunLauncher runs jobs submitted from a code location"
            )
        args = ExecuteExternalJobArgs(
            job_origin=run.remote_job_origin, run_id=run.run_id, instance_ref=self._instance.get_ref()
        )
        server = self._fork_server()
        # The queue and the event live as long as the run: the child unpickles them after start() returns.
        launched = Launched(server.Queue(), server.Event())
        launched.process = server.Process(
            target=start_run_in_subprocess,
            args=[
                dg.serialize_value(args),
                recon_job_from_origin(run.job_code_origin),
                launched.events,
                launched.stop,
            ],
            name=f"dagster-run-{run.run_id}",
        )
        self._forget_finished()
        self._launched[run.run_id] = launched
        launched.process.start()
        worker = Worker.running(launched.process.pid)
        if worker is not None:  # None: already gone, and _await_start says why
            self._instance.add_run_tags(run.run_id, {WORKER_TAG: worker.tag()})
        self._await_start(run, launched)

    def _await_start(self, run: dg.DagsterRun, launched: Launched) -> None:
        """Until the run's process has loaded the run (as the code server waits): a process that cannot
        load it fails the launch, with its error, instead of leaving the run STARTING."""
        process, events = launched.process, launched.events
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            try:
                message = events.get(timeout=0.05)
            except queue.Empty:
                if not process.is_alive():
                    raise DagsterLaunchFailedError(
                        f"the process of run {run.run_id} exited with code {process.exitcode} before it started"
                    ) from None
                continue
            if isinstance(message, StartRunInSubprocessSuccessful):
                return
            if isinstance(message, IPCErrorMessage):
                raise DagsterLaunchFailedError(
                    message.message, serializable_error_info=message.serializable_error_info
                )
        process.kill()
        raise DagsterLaunchFailedError(
            f"the process of run {run.run_id} did not start within {self.start_timeout_s:.0f}s; killed"
        )

    def _forget_finished(self) -> None:
        for run_id, launched in list(self._launched.items()):
            if launched.process is not None and not launched.process.is_alive():
                del self._launched[run_id]

    def _local_worker(self, run: dg.DagsterRun) -> Worker | None:
        worker = Worker.of(run)
        return worker if worker is not None and worker.host == socket.gethostname() else None

    def terminate(self, run_id: str) -> bool:
        """SIGINT to the run's process: what Dagster's own termination does inside it (steps interrupted,
        the run marked CANCELED by the run itself)."""
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        self._instance.report_run_canceling(run)
        worker = self._local_worker(run)
        if worker is None or not worker.alive():
            self._instance.report_engine_event(
                f"no live process of run {run_id} on {socket.gethostname()} to terminate", run, cls=type(self)
            )
            return False
        os.kill(worker.pid, signal.SIGINT)
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        worker = self._local_worker(run)
        if worker is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, f"no process of this host in tag {WORKER_TAG}")
        if worker.alive():
            return CheckRunHealthResult(WorkerStatus.RUNNING, run_worker_id=str(worker.pid))
        status = WorkerStatus.SUCCESS if run.status == dg.DagsterRunStatus.SUCCESS else WorkerStatus.FAILED
        return CheckRunHealthResult(status, f"process {worker.pid} has exited", run_worker_id=str(worker.pid))

    def join(self, timeout: int = 30) -> None:
        """Wait for the runs this launcher started (tests, orderly shutdown)."""
        deadline = time.monotonic() + timeout
        for launched in self._launched.values():
            if launched.process is not None:
                launched.process.join(max(0.0, deadline - time.monotonic()))
        self._forget_finished()


class PromptRunCoordinator(QueuedRunCoordinator):
    """Dagster's run queue (limits from `concurrency:` in dagster.yaml), looked at every half second.

    Dagster's `dequeue_interval_seconds` takes whole seconds; with seller runs of ~5 s a freed slot waited
    0.66 s on average for the next run (bench/refresh.py), an eighth of each run. A look at the queue is a
    couple of indexed queries."""

    @property
    def dequeue_interval_seconds(self) -> float:  # type: ignore[override]
        return DEQUEUE_INTERVAL_S
