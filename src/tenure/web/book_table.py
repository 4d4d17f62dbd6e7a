"""The book table's rows as HTML, built in Python.

The book is the page everyone opens most, and its body is 50 rows of 13 or more cells: through
Jinja (an attribute look-up, a filter call and an escape per value) those rows cost 40% of the
page's CPU at 100,000 accounts (docs/benchmarks.md). Here every value is escaped as Jinja's
autoescape (markupsafe) escapes it, to the same entities, so a name with HTML in it is still
text; by a translation table, as markupsafe's `escape` makes a Markup object per value and
that was most of the rows' cost. The table's head, filters and pager stay in the template.
"""

from __future__ import annotations

from jinja2.utils import url_quote
from markupsafe import Markup

from tenure.book.query import BookPage, BookRow
from tenure.web.templating import TREND_ARROWS, day, money, number

# markupsafe's entities, so the rows are the very HTML the template gave.
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def escape(value: object) -> str:
    text = str(value)
    # Most values hold none of the five characters: testing is cheaper than translating.
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return text.translate(_ENTITIES)
    return text


def rows_html(page: BookPage) -> Markup:
    if not page.rows:
        span = 9 + len(page.components)
        return Markup(f'<tr><td colspan="{span}" class="empty">No account matches.</td></tr>')
    return Markup("\n".join(_row(row, page.components) for row in page.rows))


def _row(row: BookRow, components: list[str]) -> str:
    arr_title = f' title="{escape(row.arr_problem)}"' if row.arr_problem else ""
    arr = "mixed" if row.arr_problem else escape(money(row.arr, row.currency))
    if row.renewal_months is not None:
        renewal = f'{row.renewal_months} mo<div class="sub">{escape(day(row.renewal_date))}</div>'
    else:
        renewal = "—"
    trend = f"{TREND_ARROWS[row.trend]} {escape(row.trend)}" if row.trend else "—"
    cells = [
        f'<td class="client"><a href="/accounts/{escape(url_quote(row.external_id))}">'
        f'{escape(row.name)}</a><div class="sub">{escape(row.external_id)}</div></td>',
        f"<td>{escape(row.csm_name or row.csm_email or '—')}</td>",
        f'<td><span class="tag">{escape(row.tier)}</span></td>',
        f"<td>{escape(row.segment or '—')}</td>",
        f'<td class="num">{escape(number(row.years, 1))}</td>',
        f'<td class="num"{arr_title}>{arr}</td>',
        f'<td class="num cell {escape(row.renewal_band or "none")}">{renewal}</td>',
        f'<td class="trend {escape(row.trend or "")}">{trend}</td>',
        f'<td class="num cell {escape(row.band or "none")}"><strong>'
        f"{row.health if row.health is not None else '—'}</strong></td>",
    ]
    for key in components:
        score = row.components.get(key)
        shown = score if score is not None else "no data" if row.health_date else "—"
        band = escape(row.component_bands.get(key) or "none")
        cells.append(f'<td class="num cell {band}">{escape(shown)}</td>')
    return "<tr>" + "".join(cells) + "</tr>"
