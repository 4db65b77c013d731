"""Play Heroku against a deployed portal and say, check by check, whether it answers rightly.

`python manage.py check_partner_integration URL` is the thin caller; `run_conformance` in
`addons.conformance.checks` is the scenario. It speaks to the portal only over HTTP, as Heroku
does, and plays Heroku's side with the loopback fake (`addons.heroku.fake`), started in-process:
the portal under test must call that fake (HEROKU_API_URL and HEROKU_ID_URL). It imports nothing
else of the portal (a contract in .importlinter), so that what it checks is what the portal
answers, never what the portal's code says about itself.
"""
