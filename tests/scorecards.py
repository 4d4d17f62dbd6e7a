"""The enterprise scorecard as its specification gives it: several test modules load it."""

ISSUE_SCORECARD = """\
name = "enterprise"
[bands]
red = 50      # 0-50 red, 51-74 amber, 75-100 green
amber = 74
[trend]
window_days = 30
threshold = 5
[[components]]
key = "product"
weight = 0.5
  [[components.measures]]
  metric = "product_score"
  method = "identity"
[[components]]
key = "satisfaction"
weight = 0.25
  [[components.measures]]
  metric = "satisfaction_score"
  method = "identity"
[[components]]
key = "support"
weight = 0.125
  [[components.measures]]
  metric = "support_score"
  method = "identity"
[[components]]
key = "sponsorship"
weight = 0.125
  [[components.measures]]
  metric = "sponsorship_score"
  method = "identity"
"""
