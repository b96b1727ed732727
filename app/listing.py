"""The lists' conventions: `limit` (100 by default, at most 1000), `offset`, `X-Total-Count`."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Response


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    # A 64-bit integer, as both databases bind it: a larger one was a 500, not a 422.
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> Paging:
    """A page of a list."""
    return Paging(limit, offset)


class TotalCount:
    """Says how many things a list holds in all, beyond the page answered."""

    def __init__(self, response: Response) -> None:
        self.response = response

    def set(self, total: int) -> None:
        self.response.headers["X-Total-Count"] = str(total)


Page = Annotated[Paging, Depends(paging)]
Total = Annotated[TotalCount, Depends(TotalCount)]
