"""How a failed run is told: ONE line naming the stage, the file (and line) and the cause.

Whatever fails (the input, Spark, the filesystem, the warehouse), the user sees that line;
the full trace goes to the log. The same line is the run summary's `error`.
"""

from __future__ import annotations

import re

_MAX_CAUSE = 600
# Py4J wraps the JVM's exception: its most useful line is the deepest "Caused by:".
_JAVA_CAUSE = re.compile(r"^(?:Caused by: |: )?([\w.$]+(?:Exception|Error)[^\n]*)", re.M)


class JobFailure(Exception):
    """A run that failed; its message is the one line, `stage` says where it stopped."""

    def __init__(self, message: str, stage: str) -> None:
        super().__init__(message)
        self.stage = stage


def _one_line(text: str) -> str:
    text = " ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    return text if len(text) <= _MAX_CAUSE else text[: _MAX_CAUSE - 3] + "..."


def cause_of(error: BaseException) -> str:
    """`Type: message` of the error, from the JVM's root cause when Spark raised it."""
    if hasattr(error, "java_exception") or type(error).__module__.startswith(("py4j", "pyspark")):
        found = _JAVA_CAUSE.findall(str(error))
        if found:
            return _one_line(found[-1].split("\tat ", 1)[0])
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        return _one_line(f"{type(error).__name__}: {error.strerror}{where}")
    message = str(error) or repr(error)
    if type(error).__name__ == "InputContractError":
        return _one_line(message)  # already names the file and line
    return _one_line(f"{type(error).__name__}: {message}")


def describe(stage: str, error: BaseException, file: str | None = None) -> str:
    """`<stage> failed: [<file>: ]<cause>`; the file is left out when the cause names it."""
    cause = cause_of(error)
    named = getattr(error, "file", None) or file
    where = f"{named}: " if named and named not in cause else ""
    return f"{stage} failed: {where}{cause}"
