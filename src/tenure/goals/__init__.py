"""Success goals per account: desired outcomes with a measure, a target, a date and
milestones; progress read from a metric or recorded by the CSM."""
