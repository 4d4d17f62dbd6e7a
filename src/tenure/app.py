"""create_app(): the FastAPI application, its routers, its error handlers and its headers."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from tenure import __version__
from tenure.config import Settings
from tenure.db import CONNECTIONS, Database
from tenure.kit.admission import Admission
from tenure.kit.errors import ERROR_RESPONSES, ErrorRead, TenureError, from_validation
from tenure.kit.headers import SECURITY_HEADERS, SecurityHeaders
from tenure.kit.timing import HEADER as TIMING_HEADER
from tenure.kit.timing import STARTED, ServerTiming, server_timing
from tenure.warehouse import Warehouse

log = logging.getLogger(__name__)

# Swagger UI's script and stylesheet, served by Tenure from the swagger-ui-bundle package so
# the docs page works without a network.
DOCS_ASSETS = "/docs-assets"


def _error(message: str, status: int, problems: list[str] | None = None) -> JSONResponse:
    return JSONResponse(
        ErrorRead(detail=message, problems=problems or []).model_dump(), status_code=status
    )


def _docs_page(openapi_url: str) -> tuple[HTMLResponse, str]:
    """The Swagger UI page and the Content-Security-Policy that lets exactly its own inline
    script run (by hash) and its assets load from Tenure itself, nothing else."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title="Tenure API",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
    html = bytes(page.body).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in re.findall(r"<script>(.*?)</script>", html, re.S)
    )
    policy = (
        f"default-src 'self'; script-src 'self' {hashes}; "
        "style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    return page, policy


def _declare_write_key(app: FastAPI) -> None:
    """The event intake authenticates with a write key as the HTTP Basic user name."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            schemes = spec.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes["writeKey"] = {
                "type": "http",
                "scheme": "basic",
                "description": "A write key (`tenure keys create`) as the user name.",
            }
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="Tenure",
        version=__version__,
        description="Customer success platform: accounts, health, usage, retention, plans.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = Database(settings)
    app.state.warehouse = Warehouse(settings)
    app.add_middleware(Admission, limit=CONNECTIONS)
    docs, docs_policy = _docs_page(app.openapi_url or "/openapi.json")
    app.add_middleware(SecurityHeaders, policies={"/docs": docs_policy})
    # Outermost: the time it reports includes waiting for admission.
    app.add_middleware(ServerTiming)

    @app.exception_handler(TenureError)
    async def tenure_error(_request: Request, error: TenureError) -> JSONResponse:
        return _error(error.message, error.status, error.problems)

    @app.exception_handler(ValidationError)
    async def model_error(request: Request, error: ValidationError) -> JSONResponse:
        return await tenure_error(request, from_validation(error))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        return _error("invalid request", 422, problems)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        # A person who mistypes a page's address gets a page; the API keeps its JSON shape.
        wants_page = "text/html" in request.headers.get("accept", "")
        api = request.url.path.startswith(("/api/", "/v1/"))
        if error.status_code == 404 and wants_page and not api:
            from tenure.web.routing import error_page

            missing = TenureError(f"there is no page at {request.url.path}", status=404)
            return error_page(request, missing)
        response = _error(str(error.detail), error.status_code)
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # A bug, not bad input: logged with its trace, answered in the one shape, never the trace.
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        response = _error("internal error: the server log has the details", 500)
        # This answer leaves through the outermost middleware, past SecurityHeaders.
        response.headers.update(SECURITY_HEADERS)
        started = request.scope.get(STARTED)
        if started is not None:
            response.headers[TIMING_HEADER] = server_timing(started)
        return response

    from tenure.accounts.endpoints import router as accounts_router

    app.include_router(accounts_router, prefix="/api/v1", responses=ERROR_RESPONSES)
    from tenure.retention.endpoints import router as retention_router

    app.include_router(retention_router, prefix="/api/v1", responses=ERROR_RESPONSES)
    from tenure.health.endpoints import router as health_router

    app.include_router(health_router, prefix="/api/v1", responses=ERROR_RESPONSES)

    from tenure.plans.endpoints import router as plans_router

    app.include_router(plans_router, prefix="/api/v1", responses=ERROR_RESPONSES)
    from tenure.usage.endpoints import router as usage_router
    from tenure.usage.intake import router as intake_router

    app.include_router(usage_router, prefix="/api/v1", responses=ERROR_RESPONSES)
    app.include_router(intake_router, responses=ERROR_RESPONSES)
    from tenure.messaging.endpoints import router as messages_router

    app.include_router(messages_router, prefix="/api/v1", responses=ERROR_RESPONSES)

    from tenure.goals.endpoints import router as goals_router

    app.include_router(goals_router, prefix="/api/v1", responses=ERROR_RESPONSES)
    from tenure.reports.qbr_endpoints import router as qbr_router
    from tenure.surveys.endpoints import router as surveys_router

    app.include_router(qbr_router, prefix="/api/v1", responses=ERROR_RESPONSES)
    app.include_router(surveys_router, prefix="/api/v1", responses=ERROR_RESPONSES)

    from tenure.web import install as install_web  # pages, static files, audit API

    install_web(app)
    _declare_write_key(app)

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return docs

    import swagger_ui_bundle

    app.mount(
        DOCS_ASSETS,
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="docs-assets",
    )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
