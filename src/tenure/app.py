"""create_app(): the FastAPI application, its routers and its one error handler."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

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
    from tenure.messaging.endpoints import router as messages_router

    app.include_router(messages_router, prefix="/api/v1")
    app.include_router(intake_router)

    from tenure.goals.endpoints import router as goals_router

    app.include_router(goals_router, prefix="/api/v1")
    from tenure.reports.qbr_endpoints import router as qbr_router
    from tenure.surveys.endpoints import router as surveys_router

    app.include_router(qbr_router, prefix="/api/v1")
    app.include_router(surveys_router, prefix="/api/v1")

    from tenure.web import install as install_web  # pages, static files, audit API

    install_web(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
