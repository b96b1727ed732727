"""Domain errors to HTTP: one status per family, one body shape for every error."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from dialer.base import errors

STATUS_BY_FAMILY: list[tuple[type[errors.DomainError], int]] = [
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.InvalidInput, 422),
    (errors.Conflict, 409),
    (errors.TooManyRequests, 429),
]

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


def status_of(error: errors.DomainError) -> int:
    """The HTTP status for a domain error."""
    for family, status in STATUS_BY_FAMILY:
        if isinstance(error, family):
            return status
    return 400


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The one error shape of the contract."""
    return {"error": code, "detail": detail, **extra}


BUSY_RETRY_AFTER = 1


def error_response(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(error_body(code, detail, **extra), status_code=status, headers=headers)


async def _domain(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    return error_response(status_of(exc), exc.code, exc.detail, **exc.extra)


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
    return error_response(422, "invalid_input", "Some fields are not valid.", fields=fields)


async def _busy(_request: Request, exc: Exception) -> JSONResponse:
    # Every database connection of this process stayed busy for the pool's whole
    # timeout: a surge, not a fault of the request, which changed nothing.
    assert isinstance(exc, PoolTimeout)
    return error_response(
        503, "busy", "The service is busy: try again in a moment.", retry_after=BUSY_RETRY_AFTER
    )


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = CODE_BY_STATUS.get(exc.status_code, "error")
    detail = exc.detail if isinstance(exc.detail, str) else "The request was refused."
    if exc.status_code == 404:
        detail = "There is no such resource."
    return error_response(exc.status_code, code, detail)


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "A stable code clients branch on."},
        "detail": {"type": "string", "description": "A sentence for a person."},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Describe the one error shape in the OpenAPI document, for every operation."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    error = {
        "description": "Refused, in the one error shape",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses["default"] = error
    return schema


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, validation and unknown routes included, in the contract's shape."""
    app.add_exception_handler(errors.DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(PoolTimeout, _busy)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
