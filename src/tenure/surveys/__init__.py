"""Surveys Tenure sends itself: NPS, CSAT and CES campaigns, one signed single-use link per
recipient with one-click score links, answers stored where health scoring and the KPIs read
them (`SurveyResponse`), response rates, reminders and a follow-up task for each detractor.

Modules: `core` (scales, detractors, response rates; pure), `tokens` (signed links; pure),
`service` (campaigns, audiences, answers; never commits), `mail` (invitations and reminders
through the outbox), `cli`, `endpoints`; the public answer pages are in
`tenure.web.surveys_routes`.
"""
