"""ForkingRunLauncher with a real instance and real processes: runs are forks of the server that preloaded
the code location; termination and health checks work from another instance object (the webserver's)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import fork_jobs
import pytest
from dagster._core.launcher import LaunchRunContext, WorkerStatus
from dagster._core.test_utils import in_process_test_workspace
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceRequestContext

from goodseed_dagster.run_launcher import ForkingRunLauncher, Worker

LAUNCHER = {
    "module": "goodseed_dagster.run_launcher",
    "class": "ForkingRunLauncher",
    "config": {"preload": ["fork_jobs"]},
}


@pytest.fixture
def instance(monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    # The fork server is a fresh interpreter (and Python 3.11's ignores the parent's sys.path): it finds
    # fork_jobs as the daemon finds the installed package, through the environment.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])
    )
    with dg.instance_for_test(overrides={"run_launcher": LAUNCHER}) as inst:
        yield inst


@pytest.fixture
def workspace(instance: dg.DagsterInstance) -> Iterator[WorkspaceRequestContext]:
    origin = LoadableTargetOrigin(
        executable_path=sys.executable, module_name="fork_jobs", working_directory=str(Path(__file__).parent)
    )
    with in_process_test_workspace(instance, origin) as context:
        yield context


def launch(
    instance: dg.DagsterInstance, workspace: WorkspaceRequestContext, job: dg.JobDefinition, out: Path
) -> str:
    location = workspace.get_code_location(workspace.code_location_names[0])
    remote = next(iter(location.get_repositories().values())).get_full_job(job.name)
    op = next(iter(job.graph.node_dict))
    run = instance.create_run_for_job(
        job_def=job,
        remote_job_origin=remote.get_remote_origin(),
        job_code_origin=remote.get_python_origin(),
        run_config={"ops": {op: {"config": {"path": str(out)}}}},
    )
    instance.launch_run(run.run_id, workspace)
    return run.run_id


def launch_waiting(instance: dg.DagsterInstance, workspace: WorkspaceRequestContext, tmp_path: Path) -> str:
    """A run whose op says it started, then waits for an interrupt."""
    started = tmp_path / "started"
    run_id = launch(instance, workspace, fork_jobs.wait, started)
    wait_for(started.exists)
    return run_id


def wait_for(condition: object, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def status(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRunStatus:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    return run.status


def test_each_run_is_a_fork_of_the_server_that_preloaded_the_location(
    instance: dg.DagsterInstance, workspace: WorkspaceRequestContext, tmp_path: Path
) -> None:
    outs = [tmp_path / f"run{i}.json" for i in range(2)]
    run_ids = [launch(instance, workspace, fork_jobs.report_process, out) for out in outs]
    instance.run_launcher.join(60)

    seen = [json.loads(out.read_text()) for out in outs]
    assert [status(instance, r) for r in run_ids] == [dg.DagsterRunStatus.SUCCESS] * 2
    server = seen[0]["imported_in"]
    # both ran in processes of their own, forked from the one process that imported the code location
    assert {s["ppid"] for s in seen} == {server} and {s["imported_in"] for s in seen} == {server}
    assert len({s["pid"] for s in seen} | {server, os.getpid()}) == 4
    for run_id, s in zip(run_ids, seen, strict=True):
        run = instance.get_run_by_id(run_id)
        worker = Worker.of(run) if run is not None else None
        assert worker is not None and worker.pid == s["pid"]


def test_another_instance_terminates_the_run_and_sees_its_worker_die(
    instance: dg.DagsterInstance, workspace: WorkspaceRequestContext, tmp_path: Path
) -> None:
    run_id = launch_waiting(instance, workspace, tmp_path)

    # the webserver's instance: a launcher that did not start the run
    with dg.DagsterInstance.from_ref(instance.get_ref()) as webserver:
        launcher = webserver.run_launcher
        assert isinstance(launcher, ForkingRunLauncher)
        run = webserver.get_run_by_id(run_id)
        assert run is not None
        assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING

        assert launcher.terminate(run_id)
        wait_for(lambda: status(webserver, run_id) == dg.DagsterRunStatus.CANCELED)
        worker = Worker.of(run)
        assert worker is not None
        wait_for(lambda: not worker.alive())
        assert launcher.check_run_worker_health(run).status == WorkerStatus.FAILED
        assert not launcher.terminate(run_id)  # finished: nothing to stop


def test_a_killed_worker_fails_the_health_check(
    instance: dg.DagsterInstance, workspace: WorkspaceRequestContext, tmp_path: Path
) -> None:
    run_id = launch_waiting(instance, workspace, tmp_path)
    run = instance.get_run_by_id(run_id)
    assert run is not None
    worker = Worker.of(run)
    assert worker is not None

    os.kill(worker.pid, signal.SIGKILL)  # the run cannot report anything: run monitoring must notice
    wait_for(lambda: not worker.alive())
    health = instance.run_launcher.check_run_worker_health(run)
    assert health.status == WorkerStatus.FAILED and str(worker.pid) in (health.msg or "")
    assert status(instance, run_id) == dg.DagsterRunStatus.STARTED  # nobody else knows yet


def test_a_run_without_a_code_origin_is_refused_with_a_reason(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    config = {"ops": {"where_am_i": {"config": {"path": str(tmp_path / "out")}}}}
    # as execute_in_process creates them: no code location to run from
    run = instance.create_run_for_job(job_def=fork_jobs.report_process, run_config=config)
    with pytest.raises(dg.DagsterInvariantViolationError, match="no code origin"):
        instance.run_launcher.launch_run(LaunchRunContext(run, None))
