"""A CSM's day: the tasks due this week and overdue, renewals coming, health that fell,
new signals, and the tasks added by hand."""
