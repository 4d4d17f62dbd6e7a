"""The book's rows, built in Python for speed, are the HTML the template's loop gave: the same
cells, classes and escaping, for every kind of value (HTML in names, mixed currencies, no
health yet, missing components)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from tenure.book.query import BookPage, BookQuery, BookRow
from tenure.web.book_table import rows_html
from tenure.web.templating import ENV

# The template's loop as it was, the reference the Python rows are held to.
REFERENCE = ENV.from_string(
    """
{% for row in book.rows %}
<tr>
  <td class="client"><a href="/accounts/{{ row.external_id | urlencode }}">{{ row.name }}</a><div class="sub">{{ row.external_id }}</div></td>
  <td>{{ row.csm_name or row.csm_email or "—" }}</td>
  <td><span class="tag">{{ row.tier }}</span></td>
  <td>{{ row.segment or "—" }}</td>
  <td class="num">{{ row.years | number(1) }}</td>
  <td class="num"{% if row.arr_problem %} title="{{ row.arr_problem }}"{% endif %}>{{ row.arr | money(row.currency) if not row.arr_problem else "mixed" }}</td>
  <td class="num cell {{ row.renewal_band or "none" }}">{% if row.renewal_months is not none %}{{ row.renewal_months }} mo<div class="sub">{{ row.renewal_date | day }}</div>{% else %}—{% endif %}</td>
  <td class="trend {{ row.trend or "" }}">{% if row.trend %}{{ trend_arrows[row.trend] }} {{ row.trend }}{% else %}—{% endif %}</td>
  <td class="num cell {{ row.band or "none" }}"><strong>{{ row.health if row.health is not none else "—" }}</strong></td>
  {% for key in book.components %}
  {% set score = row.components.get(key) %}
  <td class="num cell {{ row.component_bands.get(key) or "none" }}">{{ score if score is not none else "no data" if row.health_date else "—" }}</td>
  {% endfor %}
</tr>
{% else %}
<tr><td colspan="{{ 9 + book.components | length }}" class="empty">No account matches.</td></tr>
{% endfor %}
"""  # noqa: E501
)


def _row(**changes: object) -> BookRow:
    values: dict[str, object] = {
        "external_id": "acme/eu 1",
        "name": "Acme & Sons",
        "csm_email": "ana@example.com",
        "csm_name": "Ana Silva",
        "tier": "paid",
        "segment": "Enterprise",
        "years": 2.5,
        "arr": Decimal("52000.00"),
        "currency": "USD",
        "arr_problem": None,
        "renewal_date": date(2027, 2, 1),
        "renewal_months": 2,
        "renewal_band": "red",
        "health": 40,
        "band": "red",
        "trend": "down",
        "components": {"product": 30, "satisfaction": None},
        "component_bands": {"product": "red", "satisfaction": None},
        "health_date": date(2026, 11, 23),
    }
    values.update(changes)
    return BookRow(**values)


def _page(rows: list[BookRow]) -> BookPage:
    return BookPage(
        rows=rows,
        total=len(rows),
        query=BookQuery(),
        components=["product", "satisfaction", "sponsorship"],
        component_labels={},
    )


def _same(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def test_the_rows_are_the_templates():
    rows = [
        _row(),
        _row(
            external_id="<b>x</b>",
            name="<script>alert(1)</script>",
            csm_name=None,
            csm_email=None,
            segment=None,
            years=None,
            arr=None,
            currency=None,
            arr_problem='cannot add up EUR, USD: no rate to "USD"',
            renewal_date=None,
            renewal_months=None,
            renewal_band=None,
            health=None,
            band=None,
            trend=None,
            components={},
            component_bands={},
            health_date=None,
        ),
        _row(tier="free", arr=Decimal("1234.5"), currency="EUR", trend="up", health=0),
        _row(currency="CHF", trend="level", segment='O\'Brien "quoted"'),
    ]
    for page in (_page(rows), _page([])):
        expected = _same(REFERENCE.render(book=page, trend_arrows=ENV.globals["trend_arrows"]))
        assert _same(rows_html(page)) == expected
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rows_html(_page(rows))
