"""A memory budget shared by the requests of one event loop: each holds its share in bytes while it works.

A request that asks for more than the whole budget can never run (OverBudget); one whose share is not free
waits at most `wait_s` for other requests to give theirs back (BudgetBusy), so memory stays bounded and
nothing queues for long. Shares are given back in any order; waiters are woken on every return.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class OverBudget(Exception):
    """A share larger than the whole budget."""


class BudgetBusy(Exception):
    """A share that did not come free within the wait."""


class Budget:
    """`total` bytes of `what` (for messages), shared by coroutines on one event loop."""

    def __init__(self, total: int, what: str) -> None:
        self.total = total
        self.what = what
        self.used = 0
        """Bytes held now."""
        self.peak = 0
        """Most bytes held at once so far."""
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def hold(self, nbytes: int, wait_s: float) -> AsyncIterator[None]:
        """Hold `nbytes` of the budget for the body of the `async with`.

        Raises:
            OverBudget: `nbytes` is more than the whole budget.
            BudgetBusy: the share was not free within `wait_s` seconds.
        """
        if nbytes > self.total:
            raise OverBudget(f"{nbytes} bytes of {self.what}; the server's budget is {self.total}")
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: self.used + nbytes <= self.total), wait_s)
            except TimeoutError:
                raise BudgetBusy(
                    f"{nbytes} bytes of {self.what} not free within {wait_s:g} s ({self.used} of {self.total} in use)"
                ) from None
            self.used += nbytes
            self.peak = max(self.peak, self.used)
        try:
            yield
        finally:
            async with self._changed:
                self.used -= nbytes
                self._changed.notify_all()
