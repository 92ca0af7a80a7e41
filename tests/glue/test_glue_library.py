"""How the job's code reaches AWS Glue: not the installed package (`make venv` installs
glue/ editable for tools and tests), but the zip the deploy tool uploads as the job's
`--extra-py-files`. Glue puts that zip on the job's Python path (AWS Glue Developer Guide,
"Using Python libraries with AWS Glue"); the zip alone must carry every module and SQL file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from flightline_glue.warehouse import bootstrap, ddl

from tools.deploy import artifacts

# Run in a fresh interpreter whose path starts with the zip, as Glue's does.
PROBE = """
import json
import flightline_glue, flightline_glue.entry, flightline_glue.airports_job
from flightline_glue.warehouse import bootstrap, ddl
print(json.dumps({
    "package": flightline_glue.__file__,
    "migrations": [(m.version, m.statements) for m in ddl.migrations("redshift")],
    "bootstrap": [(b.version, b.sql) for b in bootstrap.bootstrap_files()],
}))
"""


def test_the_extra_py_files_zip_alone_runs_the_job_package(tmp_path: Path) -> None:
    library = artifacts.glue_library()
    zip_path = tmp_path / "flightline_glue.zip"
    zip_path.write_bytes(library.body)
    env = {**os.environ, "PYTHONPATH": str(zip_path)}  # what --extra-py-files does
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    # Imported from the zip (it comes first on the path), SQL files read from inside it.
    assert seen["package"] == str(zip_path / "flightline_glue" / "__init__.py")
    expected_migrations = [[m.version, list(m.statements)] for m in ddl.migrations("redshift")]
    assert seen["migrations"] == expected_migrations
    assert len(seen["migrations"]) >= 2
    assert seen["bootstrap"] == [[b.version, b.sql] for b in bootstrap.bootstrap_files()]
    assert seen["bootstrap"]
