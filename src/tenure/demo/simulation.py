"""The company simulation: hidden engagement and satisfaction per account, month by month,
and everything drawn from them (pure: no I/O).

Each account has a long-run engagement level `mu` it drifts back to, a monthly engagement
`e` (mean-reverting, with lasting shocks such as a champion leaving) and a satisfaction `s`
pulled towards `nu + 0.5 e` and pushed down by problem tickets that take more than 48 hours.
Active users, features adopted, events, tickets and survey answers are drawn from `e` and
`s` each month; at each contract's end, renewal, churn, expansion or contraction is drawn
from their recent average, the sponsor's seniority and seat utilisation. None of it is
written out: Tenure has to find the signal in what the accounts do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np

from tenure.demo import names
from tenure.demo.calendar import Step, add_months, day_number, monthly_steps
from tenure.demo.company import (
    AccountRecord,
    Campaign,
    Company,
    ContactRecord,
    ContractRecord,
    FloatArray,
    SurveyRecord,
    TicketRecord,
    Usage,
)
from tenure.demo.founding import SPONSOR_BONUS, Founded, found_accounts, found_contacts
from tenure.demo.scenarios import (
    ENTERPRISE_FEATURES,
    SHORTENER_PLANS,
    Scenario,
    ScenarioName,
)
from tenure.demo.support import (
    Counter,
    draw_effort_surveys,
    draw_survey_wave,
    draw_tickets,
    sigmoid,
)
from tenure.kit.errors import TenureError

# Independent random streams: the company, each account's users, and the event blocks.
STREAM_COMPANY = 1
STREAM_USERS = 2
STREAM_EVENTS = 3

NEVER = 10**7  # a day number far beyond any as-of date
MIN_ARR, MAX_ARR = 10_000, 70_000
NPS_MONTHS = (1, 7)  # invitations on the 15th, every six months
CSAT_MONTH = 10  # the yearly satisfaction survey, on the 1st


def simulate(scenario: Scenario, accounts: int, months: int, seed: int, as_of: date) -> Company:
    """The whole company: `accounts` accounts over `months` months of history up to `as_of`
    (the last simulated day is the day before `as_of`)."""
    if accounts < 1:
        raise TenureError(f"--accounts: {accounts}: must be at least 1")
    if not 1 <= months <= 240:
        raise TenureError(f"--months: {months}: must be between 1 and 240")
    if seed < 0:
        raise TenureError(f"--seed: {seed}: must be zero or positive")
    history_start = add_months(as_of, -months)
    steps = monthly_steps(history_start, as_of)
    rng = np.random.default_rng([seed, STREAM_COMPANY])
    founded = found_accounts(scenario, accounts, steps, as_of, rng)
    contacts, traits = found_contacts(scenario, founded, rng)
    world = _World(scenario, founded, contacts, steps, as_of, rng)
    for step in steps:
        world.run(step)
    return world.company(seed, history_start, traits)


@dataclass
class _Term:
    """The contracts an account currently pays through: one main contract and at most one
    mid-term add-on that ends with it."""

    main: int
    addon: int | None = None


class _World:
    def __init__(
        self,
        scenario: Scenario,
        founded: list[Founded],
        contacts: list[ContactRecord],
        steps: list[Step],
        as_of: date,
        rng: np.random.Generator,
    ) -> None:
        self.scenario = scenario
        self.enterprise = scenario.name is ScenarioName.enterprise
        self.founded = founded
        self.steps = steps
        self.as_of = as_of
        self.end_day = day_number(as_of)
        self.rng = rng
        n, t = len(founded), len(steps)
        self.n = n
        self.ids = [a.external_id for a in founded]
        self.contacts = contacts
        self.by_account: list[list[ContactRecord]] = [[] for _ in range(n)]
        index = {a.external_id: i for i, a in enumerate(founded)}
        for contact in contacts:
            self.by_account[index[contact.account_external_id]].append(contact)

        def column(values: list[float]) -> FloatArray:
            return np.array(values, dtype=np.float64)

        self.start = np.array([day_number(a.start) for a in founded], dtype=np.int64)
        self.end = np.full(n, NEVER, dtype=np.int64)
        self.initial = np.array([a.initial for a in founded])
        self.paid_from = np.array(
            [day_number(a.start) if a.paid else NEVER for a in founded], dtype=np.int64
        )
        self.mu = column([a.mu for a in founded])
        self.nu = column([a.nu for a in founded])
        self.w = column([a.w for a in founded])
        self.aversion = column([a.aversion for a in founded])
        self.sponsor = column([SPONSOR_BONUS.get(a.sponsor_seniority or "", 0.0) for a in founded])
        self.click_base = column([a.click_base for a in founded])
        self.campaigner = np.array([a.campaigner for a in founded])
        self.power = np.array([a.power_clicker for a in founded])
        self.team = np.array([a.team for a in founded], dtype=np.int64)
        self.seats = np.array([a.seats for a in founded], dtype=np.int64)
        self.addon_seats = np.zeros(n, dtype=np.int64)
        self.price = column([a.price for a in founded])
        self.plan = np.array([a.plan for a in founded], dtype=np.int64)
        self.e = np.zeros(n)
        self.s = np.zeros(n)
        self.started = np.zeros(n, dtype=bool)
        self.problems_prev = np.zeros(n)
        self.slow_prev = np.zeros(n)
        self.e_hist = np.full((n, t), np.nan)
        self.s_hist = np.full((n, t), np.nan)
        self.active_users = np.zeros((n, t), dtype=np.int64)
        self.breadth = np.zeros((n, t), dtype=np.int64)
        self.paid_hist = np.zeros((n, t), dtype=bool)
        self.clicks = np.zeros((n, t))
        self.campaigns: list[Campaign] = []
        self.contracts: list[ContractRecord] = []
        self.terms: list[_Term | None] = [None] * n
        self.term_end = np.full(n, NEVER, dtype=np.int64)
        self.contract_count = np.zeros(n, dtype=np.int64)
        self.csm: list[str | None] = [None] * n
        self.ever_paid = np.array([a.paid for a in founded])
        self.tickets: list[TicketRecord] = []
        self.surveys: list[SurveyRecord] = []
        self.ticket_ids = Counter(f"{scenario.prefix}-T")
        self.survey_ids = Counter(f"{scenario.prefix}-S")
        self._csm_turn = 0
        order = rng.permutation(n)
        for i in order:
            if founded[i].paid:
                self._assign_csm(int(i))
        for i, account in enumerate(founded):
            if account.contract_start is not None:
                self._open(i, account.contract_start, self._seat_arr(i) if self.enterprise else 0)

    # -- contracts --------------------------------------------------------------------
    def _assign_csm(self, i: int) -> None:
        self.csm[i] = self.scenario.csms[self._csm_turn % len(self.scenario.csms)]
        self._csm_turn += 1

    def _seat_arr(self, i: int) -> int:
        arr = int(round(self.seats[i] * self.price[i], -1))
        return int(np.clip(arr, MIN_ARR, MAX_ARR))

    def _contract(self, i: int, start: date, end: date, arr: int, quantity: int) -> int:
        self.contract_count[i] += 1
        number = int(self.contract_count[i])
        self.contracts.append(
            ContractRecord(
                external_id=f"{self.ids[i]}-C{number:02d}",
                account_external_id=self.ids[i],
                start_date=start,
                end_date=end,
                arr=arr,
                currency="USD",
                quantity=quantity,
                units=self.scenario.units,
            )
        )
        return len(self.contracts) - 1

    def _open(self, i: int, start: date, arr: int) -> None:
        end = add_months(start, 12)
        if self.enterprise:
            index = self._contract(i, start, end, arr, int(self.seats[i]))
        else:
            plan = SHORTENER_PLANS[int(self.plan[i])]
            index = self._contract(i, start, end, plan.arr, plan.clicks)
        self.terms[i] = _Term(index)
        self.term_end[i] = day_number(end)

    def _close(self, term: _Term, status: str) -> None:
        self.contracts[term.main].status = status
        if term.addon is not None:
            self.contracts[term.addon].status = status

    # -- one month ----------------------------------------------------------------------
    def run(self, step: Step) -> None:
        rng, n, t = self.rng, self.n, step.index
        lo_day, hi_day = day_number(step.start), day_number(step.end)
        live = (self.start < hi_day) & (self.end > lo_day)
        first = live & ~self.started
        self.started |= live
        later = live & ~first
        # One draw of every array each month, whoever is live: the streams stay aligned.
        noise_e, noise_s, noise_start = rng.normal(size=(3, n))
        shock, shock_size, lift, lift_size = rng.random((4, n))

        new = first & ~self.initial
        self.e[first & self.initial] = (self.mu + 0.35 * noise_start)[first & self.initial]
        self.e[new] = self.mu[new] - 1.1  # onboarding: usage ramps up over the first months
        self.s[first] = (self.nu + 0.5 * self.e + 0.3 * noise_s)[first]
        drops = later & (shock < 0.02)  # a champion leaves, a reorganisation: lasting damage
        self.mu[drops] -= 0.6 + 0.8 * shock_size[drops]
        self.e[drops] -= 0.5
        lifts = later & (lift < 0.025)  # a new team or use case
        self.mu[lifts] += 0.4 + 0.8 * lift_size[lifts]
        self.e[later] += (0.3 * (self.mu - self.e) + 0.22 * noise_e)[later]
        target = self.nu + 0.5 * self.e - 0.3 * self.slow_prev - 0.1 * self.problems_prev
        self.s[later] += (0.35 * (target - self.s) + 0.2 * noise_s)[later]
        self.e_hist[live, t] = self.e[live]
        self.s_hist[live, t] = self.s[live]

        live_lo = np.clip(self.start, lo_day, hi_day)
        live_hi = np.clip(self.end, lo_day, hi_day)
        live_hi = np.where(live, live_hi, live_lo)
        tenure = np.maximum(lo_day - self.start, 0) / 30.4
        self._usage(step, live, tenure)
        self._support(step, live, live_lo, live_hi, tenure)
        self._surveys(step, live)
        self._renewals(step)
        if self.enterprise:
            self._addons(step, live)
        else:
            self._free_tier(step, live, live_lo, live_hi)
            self._campaigns(step, live, live_lo, live_hi)

    def _usage(self, step: Step, live: np.ndarray, tenure: FloatArray) -> None:
        rng, t = self.rng, step.index
        jitter = rng.normal(0.0, 0.05, size=self.n)
        if self.enterprise:
            ramp = np.where(self.initial, 1.0, np.minimum(1.0, (tenure + 1) / 4))
            licensed = self.seats + self.addon_seats
            adoption = sigmoid(0.9 + 1.3 * self.e) * ramp * np.exp(jitter)
            users = np.clip(np.rint(licensed * adoption), 1, np.rint(licensed * 1.15))
            breadth = 2 + 10 * sigmoid(1.1 * self.e + 0.15 * np.minimum(tenure, 18) - 1.0)
            self.breadth[live, t] = np.clip(np.rint(breadth), 1, 12)[live].astype(np.int64)
        else:
            users = np.clip(np.rint(self.team * sigmoid(0.6 + 1.3 * self.e + jitter)), 1, self.team)
            # Clients that stay grow their traffic, about 30% a year.
            clicks = self.click_base * np.exp(0.7 * self.e + jitter + 0.022 * tenure)
            self.clicks[live, t] = clicks[live]
        self.active_users[live, t] = users[live].astype(np.int64)
        self.paid_hist[:, t] = live & (self.paid_from <= day_number(step.start))

    def _support(
        self,
        step: Step,
        live: np.ndarray,
        live_lo: np.ndarray,
        live_hi: np.ndarray,
        tenure: FloatArray,
    ) -> None:
        rng, t = self.rng, step.index
        backlog = float(rng.normal(0.0, 0.45))  # how stretched support is this month
        users = self.active_users[:, t]
        if self.enterprise:
            onboarding = np.where(~self.initial & (tenure < 3), 2.5, 1.0)
            questions = 0.06 * np.sqrt(users) * np.exp(0.3 * self.e) * onboarding
            problems = 0.3 * np.exp(self.w - 0.2 * self.e)
            subjects = names.TICKET_SUBJECTS
        else:
            paid = self.paid_hist[:, t]
            questions = np.where(paid, 0.12, 0.015) * np.exp(0.2 * self.e)
            problems = np.where(paid, 0.1, 0.01) * np.exp(self.w)
            subjects = names.SHORTENER_SUBJECTS
        questions = np.where(live, questions, 0.0)
        problems = np.where(live, problems, 0.0)
        draw = draw_tickets(
            rng,
            self.ids,
            live_lo,
            live_hi,
            questions,
            problems,
            self.s,
            backlog,
            self.end_day,
            self.ticket_ids,
            subjects,
        )
        self.tickets.extend(draw.tickets)
        self.problems_prev = draw.problems
        self.slow_prev = draw.slow_problems
        if not self.enterprise:
            self.surveys.extend(
                draw_effort_surveys(
                    rng, draw.closed, self.by_account, self.s, self.end_day, self.survey_ids
                )
            )

    def _surveys(self, step: Step, live: np.ndarray) -> None:
        waves = [("nps", 15, m) for m in NPS_MONTHS]
        if self.enterprise:
            waves.append(("csat", 1, CSAT_MONTH))
        comments = names.NPS_COMMENTS if self.enterprise else names.SHORTENER_COMMENTS
        for kind, day_of_month, month in waves:
            day = step.start.replace(day=day_of_month)
            if step.start.month != month or not step.start <= day < step.end:
                continue
            number = day_number(day)
            reached = live & (self.start <= number) & (number < self.end)
            if not self.enterprise:
                reached &= self.paid_from <= number  # surveys go to paying clients
            sent = datetime.combine(day, time(9, 0), tzinfo=UTC)
            self.surveys.extend(
                draw_survey_wave(
                    self.rng,
                    kind,
                    sent,
                    np.flatnonzero(reached),
                    self.by_account,
                    self.e,
                    self.s,
                    self.aversion,
                    self.end_day,
                    self.survey_ids,
                    comments,
                )
            )

    # -- what happens at a contract's end ---------------------------------------------
    def _renewals(self, step: Step) -> None:
        rng, t = self.rng, step.index
        lo, hi = day_number(step.start), day_number(step.end)
        for i in map(int, np.flatnonzero((self.term_end > lo) & (self.term_end <= hi))):
            term = self.terms[i]
            assert term is not None
            ending = self.contracts[term.main].end_date
            recent = slice(max(0, t - 5), t + 1)
            e6 = float(np.nanmean(self.e_hist[i, recent]))
            s6 = float(np.nanmean(self.s_hist[i, recent]))
            noise, coin, status_coin, change = (
                rng.normal(),
                rng.random(),
                rng.random(),
                rng.normal(),
            )
            if self.enterprise:
                licensed = self.seats[i] + self.addon_seats[i]
                users = float(np.mean(self.active_users[i, max(0, t - 2) : t + 1]))
                utilisation = users / licensed
                q = e6 + 0.6 * s6 + self.sponsor[i] + 0.4 * (utilisation - 0.7) + 0.5 * noise
            else:
                q = e6 + 0.5 * s6 + 0.2 * self.sponsor[i] + 0.5 * noise
            p_churn = float(sigmoid(self.scenario.churn_intercept - self.scenario.churn_slope * q))
            if coin < p_churn:
                self._close(term, "churned" if status_coin < 0.75 else "expired")
                self.terms[i] = None
                self.term_end[i] = NEVER
                self.end[i] = day_number(ending)
                continue
            self._close(term, "renewed")
            if self.enterprise:
                # Clients right-size towards ~75% of seats in use, and grow when engaged.
                right = float(np.clip(utilisation / 0.75, 0.7, 1.5))
                growth = right**0.5 * np.exp(0.09 + 0.06 * q + 0.08 * change)
                self.seats[i] = max(5, round(licensed * growth))
                self.addon_seats[i] = 0
                self.price[i] *= 1.03
                self._open(i, ending, self._seat_arr(i))
            else:
                quota = SHORTENER_PLANS[int(self.plan[i])].clicks
                ratio = float(np.mean(self.clicks[i, max(0, t - 2) : t + 1])) / quota
                if ratio > 0.7 and self.plan[i] < len(SHORTENER_PLANS) - 1 and change < 0.5:
                    self.plan[i] += 1
                elif ratio < 0.05 and self.plan[i] > 0 and change < 0.0:
                    self.plan[i] -= 1
                self._open(i, ending, 0)

    def _addons(self, step: Step, live: np.ndarray) -> None:
        """Mid-term expansion: an account using more seats than it pays for buys more, on a
        contract that ends with its main one (overlapping contracts add up)."""
        rng, t = self.rng, step.index
        coins, sizes = rng.random((2, self.n))
        if step.end >= self.as_of:
            return
        buying = (
            live
            & (self.addon_seats == 0)
            & (self.term_end - day_number(step.end) >= 90)
            & (self.term_end < NEVER)
            & (self.active_users[:, t] >= 0.95 * self.seats)
            & (coins < 0.08 * np.exp(0.6 * self.e))
        )
        for i in np.flatnonzero(buying):
            term = self.terms[i]
            assert term is not None
            main = self.contracts[term.main]
            extra = max(5, round(int(self.seats[i]) * (0.1 + 0.2 * sizes[i])))
            arr = int(round(extra * self.price[i], -1))
            term.addon = self._contract(int(i), step.end, main.end_date, arr, extra)
            self.addon_seats[i] = extra

    # -- shortener: the free tier and email campaigns -----------------------------------
    def _free_tier(
        self, step: Step, live: np.ndarray, live_lo: np.ndarray, live_hi: np.ndarray
    ) -> None:
        rng = self.rng
        share = (live_hi - live_lo) / 30.0
        convert, leave, when = rng.random((3, self.n))
        free = live & (self.paid_from >= NEVER)
        boost = np.where(self.power, 5.0, 1.0) * np.where(self.campaigner, 2.0, 1.0)
        converting = free & (convert < 0.004 * np.exp(0.9 * self.e) * boost * share)
        if step.end >= self.as_of:
            converting[:] = False
        leaving = free & ~converting & (leave < sigmoid(-3.7 - 1.3 * self.e) * share)
        for i in np.flatnonzero(converting):
            self.paid_from[i] = day_number(step.end)
            self.ever_paid[i] = True
            clicks = self.click_base[i] * np.exp(0.7 * self.e[i])
            self.plan[i] = next(
                (k for k, p in enumerate(SHORTENER_PLANS) if p.clicks >= 1.2 * clicks),
                len(SHORTENER_PLANS) - 1,
            )
            self._assign_csm(int(i))
            self._open(int(i), step.end, 0)
        days = np.maximum(live_hi - live_lo, 1)
        self.end[leaving] = np.maximum(live_lo + 1, live_lo + (when * days).astype(np.int64))[
            leaving
        ]

    def _campaigns(
        self, step: Step, live: np.ndarray, live_lo: np.ndarray, live_hi: np.ndarray
    ) -> None:
        rng = self.rng
        coins, days = rng.random((2, self.n))
        sizes = rng.lognormal(np.log(800), 0.7, size=self.n)
        running = live & self.campaigner & (coins < 0.35) & (self.end > live_lo)
        for i in np.flatnonzero(running):
            span = max(1, int(min(live_hi[i], self.end[i]) - live_lo[i]))
            day = int(live_lo[i] + days[i] * span)
            recipients = int(np.clip(sizes[i], 100, 5000))
            name = f"newsletter-{step.start:%Y-%m}"
            self.campaigns.append(Campaign(int(i), step.index, day, recipients, name))
            self.e[i] += 0.2  # the campaign works: they come back for the statistics

    # -- the finished company -----------------------------------------------------------
    def company(
        self, seed: int, history_start: date, traits: list[dict[int, dict[str, str]]]
    ) -> Company:
        steps = self.steps
        lo = np.array([day_number(s.start) for s in steps], dtype=np.int64)
        hi = np.array([day_number(s.end) for s in steps], dtype=np.int64)
        live_from = np.clip(self.start[:, None], lo[None, :], hi[None, :])
        live_to = np.clip(self.end[:, None], lo[None, :], hi[None, :])
        live_to = np.where(live_to > live_from, live_to, live_from)
        propensity = []
        for i in range(self.n):
            pool = int(max(self.active_users[i].max(), 1)) + 1
            users = np.random.default_rng([seed, STREAM_USERS, i]).normal(size=pool)
            users[0] = -1.2  # the sponsor looks in now and then
            if pool > 1:
                users[1] = 1.0  # the champion lives in the product
            propensity.append(users)
        feature_order = np.zeros((self.n, len(ENTERPRISE_FEATURES)), dtype=np.int64)
        core = np.arange(len(ENTERPRISE_FEATURES), dtype=np.float64)
        for i in range(self.n):
            # Core features first for everyone; the tail differs by account.
            feature_order[i] = np.argsort(core + self.rng.normal(0, 2.5, size=core.size))
        campaign_share = np.where(self.rng.random(self.n) < 0.5, self.rng.random(self.n) * 0.4, 0.0)
        usage = Usage(
            live_from=live_from,
            live_to=live_to,
            engagement=np.nan_to_num(self.e_hist),
            active_users=self.active_users,
            breadth=self.breadth,
            paid=self.paid_hist,
            clicks=self.clicks,
            user_propensity=propensity,
            feature_order=feature_order,
            contact_traits=traits,
            campaigns=self.campaigns,
            campaign_share=campaign_share,
        )
        self._finish_contacts()
        return Company(
            scenario=self.scenario,
            seed=seed,
            as_of=self.as_of,
            history_start=history_start,
            steps=steps,
            accounts=[self._account(i) for i in range(self.n)],
            contracts=sorted(self.contracts, key=lambda c: c.external_id),
            contacts=self.contacts,
            tickets=self.tickets,
            surveys=sorted(self.surveys, key=lambda s: (s.sent_at, s.external_id)),
            usage=usage,
        )

    def _finish_contacts(self) -> None:
        if self.enterprise:
            return
        for i, people in enumerate(self.by_account):
            for contact in people:
                if contact.user_id is not None and contact.user_id.endswith("-u0000"):
                    contact.is_sponsor = bool(self.ever_paid[i])

    def _account(self, i: int) -> AccountRecord:
        founded = self.founded[i]
        ended = self.end[i] <= self.end_day
        paid_now = self.paid_from[i] < NEVER
        since = founded.customer_since
        if self.enterprise or paid_now:
            term = self.terms[i]
            if ended:
                stage = "churned"
            elif (self.as_of - since).days < 90:
                stage = "onboarding"
            elif term is not None and (self.contracts[term.main].end_date - self.as_of).days <= 90:
                stage = "renewal"
            elif (self.as_of - since).days < 365:
                stage = "adoption"
            else:
                stage = "mature"
        else:
            stage = "dormant" if ended else "active"
        attributes: dict[str, int | str] = {"region": founded.region}
        if self.enterprise:
            attributes.update(founded.extra)
            revenue = int(founded.extra["revenue_musd"])
            segment = (
                "Strategic" if revenue >= 5_000 else "Enterprise" if revenue >= 1_000 else "Large"
            )
        else:
            plan = SHORTENER_PLANS[int(self.plan[i])].name if paid_now else "free"
            attributes["plan"] = plan
            segment = {"free": "Self-serve", "business": "Mid-market"}.get(plan, "SMB")
        return AccountRecord(
            external_id=founded.external_id,
            name=founded.name,
            tier="paid" if self.enterprise or paid_now else "free",
            segment=segment,
            industry=founded.industry,
            csm_email=self.csm[i],
            customer_since=since,
            lifecycle_stage=stage,
            attributes=attributes,
        )
