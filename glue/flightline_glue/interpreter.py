"""Works around a CPython 3.13 bug that prints tracebacks after a successful job.

CPython 3.13 can raise from `threading._DeleteDummyThreadOnDel.__del__` during interpreter
shutdown when foreign threads (py4j's JVM callbacks) were seen, and prints each as "Exception
ignored in: ..." with `TypeError: 'NoneType' object does not support the context manager
protocol` (python/cpython issue 130522, fixed upstream by pull request 131537; 3.13.0, the
one pyenv has here, is affected, and so may be the 3.13 that Glue 6.0 runs). The exit code is
unaffected, but a hundred tracebacks after a good run hide a real one. Only that report is
dropped: every other unraisable exception is still printed by the default hook.
"""

from __future__ import annotations

import sys

BUGGY_FINALIZER = "_DeleteDummyThreadOnDel.__del__"


def quiet_dummy_thread_finalizer() -> None:
    """Install the filter (idempotent; on a fixed Python it never has anything to drop)."""
    if getattr(sys.unraisablehook, "_flightline", False):
        return
    default = sys.unraisablehook

    # Runs during interpreter shutdown, when module globals may already be cleared: it uses
    # only its arguments and defaults.
    def hook(unraisable, _default=default, _finalizer=BUGGY_FINALIZER, _error=TypeError) -> None:
        if getattr(unraisable.object, "__qualname__", None) == _finalizer and isinstance(
            unraisable.exc_value, _error
        ):
            return
        _default(unraisable)

    hook._flightline = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook
