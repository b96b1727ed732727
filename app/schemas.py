"""Pydantic shapes shared by several routers."""

from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

from dialer.base.clock import require_aware


class Model(BaseModel):
    """Every request body refuses fields it does not know."""

    model_config = ConfigDict(extra="forbid")


# An instant with an offset; naive datetimes are a 422, not a guess.
Instant = Annotated[AwareDatetime, AfterValidator(require_aware)]
