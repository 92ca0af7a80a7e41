"""dbt in this process: one parse shared by every command of the build.

Each `dbt` command line is a new Python that imports dbt (about 1.4 s) and parses the
project. Here the parse runs once and its manifest serves the unbuilt check and the build
(dbtRunner's `manifest`, "Programmatic invocations" in dbt's docs). The parse is partial when
`target/partial_parse.msgpack` holds the last build's parse (the CodeBuild project's S3 cache
carries it from build to build) and dbt finds it made for the same dbt, profile, target and
vars: dbt then re-parses only the files that changed. The day's dates are run-time `--vars`
of the commands after the parse, so a new date does not invalidate it. A parse that fails
from a saved one is retried once without it: a stale parse must not fail every build (the
cache is stored only after a build that succeeds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNBUILT_OPERATION = "flightline_unbuilt_relations"


class DbtCommandError(RuntimeError):
    """A dbt command failed; dbt has already logged why."""


@dataclass
class DbtSession:
    target: str
    # Flags every command takes (a project or target path elsewhere than the working folder).
    common_args: Sequence[str] = ()
    # Where dbt keeps its saved parse (under the target path).
    saved_parse: Path = Path("target/partial_parse.msgpack")
    manifest: Any = field(default=None, init=False)
    # Whether the last parse was a full one (no saved parse, or one dbt could not reuse).
    parsed_in_full: bool | None = field(default=None, init=False)

    def _invoke(self, args: Sequence[str], callbacks: Sequence[Any] = ()) -> Any:
        from dbt.cli.main import dbtRunner

        runner = dbtRunner(manifest=self.manifest, callbacks=list(callbacks))
        result = runner.invoke([*args, "--target", self.target, *self.common_args])
        if not result.success:
            raise DbtCommandError(f"dbt {args[0]} failed: {result.exception or 'see the log'}")
        return result

    def parse(self) -> None:
        # No --vars here: dbt reuses a saved parse only when the command line's vars, profile
        # and target are the ones it was made with, and the dates change every day.
        refused: list[str] = []

        def note_refusal(event: Any) -> None:
            if event.info.name == "UnableToPartialParse":
                refused.append(event.data.reason)

        try:
            self.manifest = self._invoke(["parse"], [note_refusal]).result
        except DbtCommandError:
            if not self.saved_parse.exists():
                raise
            print(f"the parse failed from {self.saved_parse}: parsing in full", flush=True)
            self.saved_parse.unlink()
            refused.append("the saved parse failed")
            self.manifest = self._invoke(["parse"]).result
        self.parsed_in_full = bool(refused)

    def unbuilt_relations(self) -> list[str]:
        """The models and snapshots without a relation in the warehouse (the macro prints
        one name per line, a PrintEvent each)."""
        printed: list[str] = []

        def collect(event: Any) -> None:
            if event.info.name == "PrintEvent":
                printed.append(event.data.msg)

        self._invoke(["run-operation", UNBUILT_OPERATION, "--quiet"], [collect])
        return [name for line in printed for name in line.split()]

    def run(self, args: Sequence[str]) -> None:
        self._invoke(args)
