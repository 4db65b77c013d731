"""Add-on SSO: verify Heroku's signed login, decide access from the resource's access list, and
keep the dashboard session bound to that resource and that Heroku user.

    POST /sso/login ─► verify token and timestamp ─► refuse a replay (tokens) ─► decide on the
    access list, fresh or re-fetched (services) ─► an SSO session, not a Django login (sessions)

Heroku asks partners not to trust a cached access list for more than five minutes, and not to grant
lasting rights from the email in an SSO request alone: the signed request only says who the person
is; whether they may use the resource is decided by the app's collaborators and team members.
"""
