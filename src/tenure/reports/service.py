"""Reports: the public face the pages and other domains use. A QBR pack frozen as a snapshot
and rendered as HTML or PDF, and the value report of a free client as its page. Never commits."""

from __future__ import annotations

from tenure.reports import qbr, qbr_render
from tenure.reports.page import value_page as value_page
from tenure.reports.value import value_reports as value_reports

build_qbr = qbr.build
qbr_html = qbr_render.html
qbr_pdf = qbr_render.pdf
QBR_CONTENT_SECURITY_POLICY = qbr_render.CONTENT_SECURITY_POLICY
