"""What every run would otherwise import for itself, imported once by the run launcher's fork server.

`ForkingRunLauncher` forks each run from a process that imported this module: dagster, dagster-dbt and the
stages (by building the Definitions once) and Great Expectations (the offers' suite). Nothing here opens a
connection or starts a thread, so forks inherit only imported code. A failure is logged and swallowed: runs
then import for themselves and report the real error in their own event log.
"""

import gc
import logging

log = logging.getLogger(__name__)


def warm() -> None:
    import importlib
    import os

    from dagster._core.instance.ref import InstanceRef
    from dagster._serdes import ConfigurableClassData

    from goodseed_dagster.definitions import build_defs
    from goodseed_dagster.settings import Settings

    build_defs(Settings()).get_repository_def()
    import great_expectations  # noqa: F401  (imported by the offers' expectations check)

    if os.environ.get("DAGSTER_HOME"):  # the instance's storage, launcher, log manager ... modules
        for part in InstanceRef.from_dir(os.environ["DAGSTER_HOME"]):
            if isinstance(part, ConfigurableClassData):
                importlib.import_module(part.module_name)
    # and what an instance imports when it is made: its default defs-state storage (universal_pathlib)
    importlib.import_module("dagster._core.storage.defs_state.blob_storage_state_storage")
    importlib.import_module("upath")


try:
    warm()
except Exception:  # the fork server must come up whatever the code location's state
    log.exception("warm start failed; runs will load the code location themselves")
# Out of the collector's sight for good: with this heap each full collection in a run took ~0.3 s (and
# touching every object's header would copy the forks' shared pages). What the Python docs advise for a
# fork server.
gc.collect()
gc.freeze()
