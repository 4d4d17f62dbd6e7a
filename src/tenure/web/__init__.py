"""Server-rendered pages (Jinja2 + htmx), every asset served by Tenure itself.

`install(app)` mounts the pages, the static files and the audit API on the FastAPI app.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def install(app: FastAPI) -> None:
    from tenure.audit.endpoints import router as audit_router
    from tenure.kit.errors import ERROR_RESPONSES
    from tenure.web.routers import routers
    from tenure.web.templating import STATIC

    app.include_router(audit_router, prefix="/api/v1", responses=ERROR_RESPONSES)
    for router in routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
