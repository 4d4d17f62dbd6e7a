"""The planner's defaults, defined once: the CLI's options, the API's query and body, the web
form and the service's options all start from these (docs/plans.md describes each)."""

from __future__ import annotations

# The CSM's working hours a week, and the most a week can hold.
HOURS_PER_WEEK = 40.0
MAX_HOURS_PER_WEEK = 168.0
# The share of the hours for existing clients; the new clients' onboarding gets the rest.
EXISTING_SHARE = 0.5
# New clients to onboard in the quarter when none are named.
NEW_CLIENTS = 5
