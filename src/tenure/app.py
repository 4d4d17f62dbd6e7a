"""create_app(): the FastAPI application, its routers and its one error handler."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tenure import __version__
from tenure.config import Settings
from tenure.db import CONNECTIONS, Database
from tenure.kit.admission import Admission
from tenure.kit.errors import TenureError, from_validation
from tenure.warehouse import Warehouse


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="Tenure",
        version=__version__,
        description="Customer success platform: accounts, health, usage, retention, plans.",
        # The API docs page is served with its assets below (FastAPI's own loads them from a
        # CDN: a blank page offline).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = Database(settings)
    app.state.warehouse = Warehouse(settings)
    app.add_middleware(Admission, limit=CONNECTIONS)

    @app.exception_handler(TenureError)
    async def tenure_error(_request: Request, error: TenureError) -> JSONResponse:
        return JSONResponse(
            {"detail": error.message, "problems": error.problems}, status_code=error.status
        )

    @app.exception_handler(ValidationError)
    async def model_error(request: Request, error: ValidationError) -> JSONResponse:
        return await tenure_error(request, from_validation(error))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        return JSONResponse({"detail": "invalid request", "problems": problems}, status_code=422)

    from tenure.accounts.endpoints import router as accounts_router

    app.include_router(accounts_router, prefix="/api/v1")
    from tenure.retention.endpoints import router as retention_router

    app.include_router(retention_router, prefix="/api/v1")
    from tenure.health.endpoints import router as health_router

    app.include_router(health_router, prefix="/api/v1")

    from tenure.plans.endpoints import router as plans_router

    app.include_router(plans_router, prefix="/api/v1")
    from tenure.usage.endpoints import router as usage_router
    from tenure.usage.intake import router as intake_router

    app.include_router(usage_router, prefix="/api/v1")
    app.include_router(intake_router)

    from tenure.web import install as install_web  # pages, static files, audit API

    install_web(app)

    install_docs(app)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        # A person who mistypes a page's address gets a page; the API keeps JSON.
        wants_page = "text/html" in request.headers.get("accept", "")
        api = request.url.path.startswith(("/api/", "/v1/"))
        if error.status_code == 404 and wants_page and not api:
            from tenure.web.routing import error_page

            missing = TenureError(f"there is no page at {request.url.path}", status=404)
            return error_page(request, missing)
        return await http_exception_handler(request, error)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def install_docs(app: FastAPI) -> None:
    """The OpenAPI docs page at /docs, with Swagger UI's script and stylesheet served by
    Tenure from the swagger-ui-bundle package, so it works without a network."""
    import swagger_ui_bundle

    app.mount(
        "/docs-assets",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="docs-assets",
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Tenure API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )
