"""Clients for Heroku's APIs: the Platform API (api.heroku.com) and OAuth (id.heroku.com).

Every call goes through a `requests.Session` with a default timeout (`session`). Failures are typed
(`errors`): `RetryLater` for what may succeed later (transport errors, 5xx, 429), `HerokuAPIError`
for the rest. Neither ever carries a token or secret in its message. `client` reads access lists,
`oauth` exchanges grants and refreshes tokens, `retries` says what urllib3 retries and how it
waits, `pacing` keeps within the rate limit and `cache` holds the stored responses behind
conditional requests.
"""
