"""Every page router, in one list for `install`."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from tenure.web import (
        account_goals_routes,
        account_routes,
        admin_routes,
        agent_routes,
        auth,
        book_routes,
        kpis_routes,
        messages_routes,
        password_routes,
        plan_routes,
        renewals_routes,
        surveys_routes,
        team_routes,
        today_routes,
        usage_routes,
    )

    return [
        auth.router,
        today_routes.router,
        password_routes.router,
        book_routes.router,
        account_routes.router,
        account_goals_routes.router,
        renewals_routes.router,
        kpis_routes.router,
        plan_routes.router,
        agent_routes.router,
        usage_routes.router,
        messages_routes.router,
        team_routes.router,
        admin_routes.router,
        surveys_routes.router,
    ]
