"""The pages: login, operator console, supervisor dashboard, manager page.

Each page is a shell rendered here with the words of the reader's language; a small
script fills it from the `/api/v1` JSON API with the bearer token, so every rule and
role check stays in the API and nothing is decided twice.
"""

import inspect
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, FastAPI, Header, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.deps import AppSettings
from app.pages.i18n import LANGUAGES, catalogue, negotiate

HERE = Path(__file__).parent
LANGUAGE_COOKIE = "cascade_lang"
# The pages a role lands on after logging in; the script reads it from the shell.
HOME_BY_ROLE = {
    "operator": "/operator",
    "supervisor": "/supervisor",
    "admin": "/supervisor",
    "manager": "/manager",
}
# Managers of the development and key-account desks work accounts, not questionnaires.
HOME_BY_DESK = {"development": "/accounts", "regular": "/accounts", "key_account": "/accounts"}

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


def language_of(
    settings: AppSettings,
    lang: Annotated[str | None, Query(max_length=8)] = None,
    cookie: Annotated[str | None, Cookie(alias=LANGUAGE_COOKIE)] = None,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
) -> str:
    """A language chosen on the page, then the browser's, then CASCADE_LANGUAGE."""
    for chosen in (lang, cookie):
        if chosen in LANGUAGES:
            return chosen
    return negotiate(accept_language, settings.language)


Language = Annotated[str, Depends(language_of)]


def _render(request: Request, page: str, language: str, status: int = 200) -> HTMLResponse:
    words = catalogue(language)
    context: dict[str, Any] = {
        "page": page,
        "lang": language,
        "languages": LANGUAGES,
        "t": words,
        "title": words[f"page.{page}"],
        "homes": HOME_BY_ROLE | {f"desk.{d}": home for d, home in HOME_BY_DESK.items()},
    }
    response: HTMLResponse = templates.TemplateResponse(
        request, f"{page}.html", context, status_code=status
    )
    if request.query_params.get("lang") == language:
        # A language picked by hand sticks for the following pages.
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
async def login_page(request: Request, language: Language) -> HTMLResponse:
    """The login form; after logging in the script goes to the role's page."""
    return _render(request, "login", language)


@router.get("/operator", response_class=HTMLResponse)
async def operator_page(request: Request, language: Language) -> HTMLResponse:
    """The operator's console."""
    return _render(request, "operator", language)


@router.get("/supervisor", response_class=HTMLResponse)
async def supervisor_page(request: Request, language: Language) -> HTMLResponse:
    """The supervisor's dashboard."""
    return _render(request, "supervisor", language)


@router.get("/manager", response_class=HTMLResponse)
async def manager_page(request: Request, language: Language) -> HTMLResponse:
    """The manager's questionnaires."""
    return _render(request, "manager", language)


@router.get("/accounts", response_class=HTMLResponse)
async def accounts_page(request: Request, language: Language) -> HTMLResponse:
    """The MRK's and KAM's accounts."""
    return _render(request, "accounts", language)


def install_pages(app: FastAPI) -> None:
    """Mount the pages and their static files; a wrong address in a browser gets a page."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    answer_json = app.exception_handlers[StarletteHTTPException]

    async def missing(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        path = request.url.path
        wants_page = "text/html" in request.headers.get("accept", "")
        if exc.status_code != 404 or not wants_page or path.startswith(("/api/", "/hooks/")):
            answered = answer_json(request, exc)
            return await answered if inspect.isawaitable(answered) else answered
        settings = request.app.state.settings
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        language = (
            chosen
            if chosen in LANGUAGES
            else negotiate(request.headers.get("accept-language"), settings.language)
        )
        return _render(request, "missing", language, status=404)

    app.add_exception_handler(StarletteHTTPException, missing)
