"""The lists' conventions: `limit` (100 by default, at most 1000), `offset`, `X-Total-Count`."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Response

from app.schemas import Offset


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[Offset, Query()] = 0,
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
