"""Log in with Heroku: a django-allauth OAuth2 provider for the portal's own Heroku OAuth client.

On when the operator sets HEROKU_OAUTH_CLIENT_ID and HEROKU_OAUTH_CLIENT_SECRET (`config`), off
otherwise: no button, and its URLs answer 404. The browser is sent to HEROKU_ID_URL's
`/oauth/authorize` (scope `identity`); the code that comes back is exchanged at `/oauth/token`, and
`GET {HEROKU_API_URL}/account` says who the person is: their Heroku user id (kept as the
SocialAccount's uid), e-mail address, and whether Heroku verified it (`views`). Who that makes
them in the portal is `adapter`'s to decide.

It uses allauth's own OAuth2 client rather than addons.heroku, which accounts must not import.
"""
