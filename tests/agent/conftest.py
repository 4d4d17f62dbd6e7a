"""The web tests' signed-in users and app, for the agent's page tests."""

from tests.web.conftest import anonymous, app, browser, password_hash, people  # noqa: F401
