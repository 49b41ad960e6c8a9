"""`python -m thaigen` and the `thaigen` script: the command line, its libraries loaded with one BLAS thread."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

BLAS_THREADS = "OPENBLAS_NUM_THREADS"
"""Read once, when an OpenBLAS library loads (numpy's, and scipy's under albumentations)."""


@contextlib.contextmanager
def one_blas_thread_at_load() -> Iterator[None]:
    """Libraries imported inside load OpenBLAS with one thread unless the user chose a count; the variable is
    then put back, so processes this one starts (training, scoring) get the user's environment.

    Left to itself each OpenBLAS starts a thread per extra core at load, and each spins about 0.1 s before it
    sleeps: about 0.45 s of a command's CPU time on two cores (1.6 against 1.1 s to import the build). A build
    gains nothing from them: its arrays are small, its workers are the parallelism (pipeline.build.one_thread
    keeps BLAS on one thread while samples render either way).
    """
    chosen = os.environ.get(BLAS_THREADS)
    if chosen is None:
        os.environ[BLAS_THREADS] = "1"
    try:
        yield
    finally:
        if chosen is None:
            del os.environ[BLAS_THREADS]


def main() -> int:
    """Run the command line with its libraries loaded as one_blas_thread_at_load says."""
    with one_blas_thread_at_load():
        from thaigen.cli import main as cli_main
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
