"""The pages: login, operator console, supervisor dashboard, manager page.

Each page is a shell rendered here with the words of the reader's language; a small
script fills it from the `/api/v1` JSON API with the bearer token, so every rule and
role check stays in the API and nothing is decided twice.
"""

import inspect
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Cookie, Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.deps import AppSettings
from app.pages.i18n import LANGUAGES, N_, language_name, negotiate, script_catalogue, translations
from dialer.base.models import Desk

HERE = Path(__file__).parent
LANGUAGE_COOKIE = "cascade_lang"
# The pages a role lands on after logging in; the script reads it from the shell. A manager
# at a desk past the first order works accounts, not questionnaires: it lands on those.
HOME_BY_ROLE = {
    "operator": "/operator",
    "supervisor": "/supervisor",
    "admin": "/supervisor",
    "manager": "/manager",
}
HOME_BY_DESK = {desk.value: "/accounts" for desk in Desk if desk is not Desk.ACQUISITION}

# The pages load their own scripts and stylesheet from here and talk to the API here:
# nothing inline, nothing from elsewhere, never inside another site's frame. The words
# and role homes ride in <script type="application/json"> blocks, data the policy allows.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

# Marked here, translated per request: the page titles, in the shell and its <title>.
TITLES = {
    "login": N_("Log in"),
    "operator": N_("Operator console"),
    "supervisor": N_("Supervisor dashboard"),
    "manager": N_("My questionnaires"),
    "accounts": N_("My accounts"),
    "plan": N_("Shift planner"),
    "campaigns": N_("Campaigns"),
    "users": N_("Users"),
    "shifts": N_("Shifts"),
    "dnc": N_("Do-not-call"),
    "contacts": N_("Contacts"),
    "audit": N_("Audit log"),
    "qc": N_("Quality control"),
    "reviews": N_("My reviewed calls"),
    "not_found": N_("Page not found"),
}
ROLES = (
    ("operator", N_("operator")),
    ("manager", N_("manager")),
    ("supervisor", N_("supervisor")),
    ("admin", N_("admin")),
)
WEEKDAYS = (
    (1, N_("Mon")),
    (2, N_("Tue")),
    (3, N_("Wed")),
    (4, N_("Thu")),
    (5, N_("Fri")),
    (6, N_("Sat")),
    (7, N_("Sun")),
)
# The supervisor's navigation: the dashboard, then a page for each job of the floor.
STAFF_NAV = (
    "supervisor",
    "campaigns",
    "shifts",
    "plan",
    "contacts",
    "accounts",
    "qc",
    "dnc",
    "users",
    "audit",
)
# Pages the staff share with managers: their shell carries the staff's navigation hidden,
# and the page's script shows it once the API has said the reader is a supervisor or admin.
SHARED_PAGES = ("accounts",)
STAFF_PAGES = tuple(name for name in STAFF_NAV if name not in SHARED_PAGES)
# A page's name in the navigation, where it differs from its title ("My accounts").
NAV_TITLES = {"accounts": N_("Accounts")}

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


@cache
def templates_in(language: str) -> Jinja2Templates:
    """The templates with the language's catalog installed: one environment per language."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return Jinja2Templates(env=env)


def _render(request: Request, page: str, language: str, status_code: int = 200) -> HTMLResponse:
    context: dict[str, Any] = {
        "page": page,
        "lang": language,
        "languages": LANGUAGES,
        "language_names": {code: language_name(code) for code in LANGUAGES},
        "script_words": script_catalogue(language),
        "title": translations(language).gettext(TITLES[page]),
        "homes": {"roles": HOME_BY_ROLE, "desks": HOME_BY_DESK},
        "nav": [
            (
                f"/{name}",
                translations(language).gettext(NAV_TITLES.get(name, TITLES[name])),
                name == page,
            )
            for name in STAFF_NAV
        ]
        if page in STAFF_NAV
        else [],
        "nav_hidden": page in SHARED_PAGES,
        "roles": [(role, translations(language).gettext(words)) for role, words in ROLES],
        "weekdays": [(n, translations(language).gettext(words)) for n, words in WEEKDAYS],
    }
    templates = templates_in(language)
    response: HTMLResponse = templates.TemplateResponse(
        request, f"{page}.html", context, status_code=status_code, headers=PAGE_HEADERS
    )
    if request.query_params.get("lang") == language:
        # A language picked by hand sticks for the following pages.
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
async def login_page(request: Request, language: Language) -> HTMLResponse:
    """The login form; after logging in the script goes to the role's page."""
    return _render(request, "login", language)


@router.get("/login")
async def login_address(request: Request) -> RedirectResponse:
    """The address people type for the login form (it was a page not found): the form is at
    the site's root, with the language asked for kept."""
    query = request.url.query
    return RedirectResponse("/" + (f"?{query}" if query else ""), status_code=307)


@router.get("/operator", response_class=HTMLResponse)
async def operator_page(request: Request, language: Language) -> HTMLResponse:
    """The operator's console."""
    return _render(request, "operator", language)


@router.get("/supervisor", response_class=HTMLResponse)
async def supervisor_page(request: Request, language: Language) -> HTMLResponse:
    """The supervisor's dashboard."""
    return _render(request, "supervisor", language)


@router.get("/plan", response_class=HTMLResponse)
async def plan_page(request: Request, language: Language) -> HTMLResponse:
    """The shift planner: the operators each shift ahead needs."""
    return _render(request, "plan", language)


@router.get("/manager", response_class=HTMLResponse)
async def manager_page(request: Request, language: Language) -> HTMLResponse:
    """The manager's questionnaires."""
    return _render(request, "manager", language)


@router.get("/accounts", response_class=HTMLResponse)
async def accounts_page(request: Request, language: Language) -> HTMLResponse:
    """The MRK's and KAM's accounts: turnover against plan, orders, hand-offs."""
    return _render(request, "accounts", language)


def _staff_page(name: str) -> None:
    async def staff_page(request: Request, language: Language) -> HTMLResponse:
        return _render(request, name, language)

    staff_page.__doc__ = f"The floor's {name} page."
    router.add_api_route(f"/{name}", staff_page, methods=["GET"], response_class=HTMLResponse)


for _name in STAFF_PAGES[1:]:
    _staff_page(_name)


class _StaticFiles(StaticFiles):
    """The pages' scripts and styles, never sniffed as another type."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(PAGE_HEADERS)
        return response


@router.get("/reviews", response_class=HTMLResponse)
async def reviews_page(request: Request, language: Language) -> HTMLResponse:
    """An operator's reviewed calls."""
    return _render(request, "reviews", language)


def install_pages(app: FastAPI) -> None:
    """Mount the pages and their static files on the application.

    A path that matches nothing outside `/api/` and `/static/` (a mistyped address in a
    browser) gets a page in the reader's language with a link home, status 404; the API's
    unknown paths keep the JSON error of API.md.
    """
    app.include_router(router)
    app.mount("/static", _StaticFiles(directory=HERE / "static"), name="static")
    api_handler = app.exception_handlers[StarletteHTTPException]

    async def page_or_api(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        path = request.url.path
        unmatched = "endpoint" not in request.scope
        if exc.status_code == 404 and unmatched and not path.startswith(("/api/", "/static/")):
            settings = request.app.state.settings
            language = language_of(
                settings,
                request.query_params.get("lang"),
                request.cookies.get(LANGUAGE_COOKIE),
                request.headers.get("accept-language"),
            )
            return _render(request, "not_found", language, status_code=404)
        response = api_handler(request, exc)
        return await response if inspect.isawaitable(response) else response

    app.add_exception_handler(StarletteHTTPException, page_or_api)
