"""The agent: the daily run, its mandate and hard boundaries, account briefs and digests."""
