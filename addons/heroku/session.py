"""The `requests` sessions every call to Heroku goes through."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from addons.heroku.retries import READ_RETRY

USER_AGENT = "partner-portal/0.1 (+https://github.com/partner-portal)"


ACCEPT = "application/vnd.heroku+json; version=3"


class PoolKeyCachingAdapter(HTTPAdapter):
    """An HTTPAdapter that works out each host's connection-pool key once.

    requests rebuilds it on every call, and with a CA bundle path (REQUESTS_CA_BUNDLE) that
    means a stat() of the path per request, which releases and re-takes the GIL: under 64 threads
    the wait for it cost more than the rest of the request.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pool_keys: dict = {}

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        scheme, netloc = urlsplit(request.url)[:2]
        key = (scheme, netloc, verify, cert if not isinstance(cert, list) else tuple(cert))
        cached = self._pool_keys.get(key)
        if cached is None:
            cached = self._pool_keys[key] = super().build_connection_pool_key_attributes(
                request, verify, cert
            )
        host_params, pool_kwargs = cached
        return dict(host_params), dict(pool_kwargs)


def platform_session(base_url: str, *, retry: Retry = READ_RETRY) -> requests.Session:
    """Return a session for BASE_URL that retries as RETRY says, with the environment's proxy and
    CA settings read once.

    A session that trusts the environment reads it again on every request (proxy variables,
    ~/.netrc, a stat of REQUESTS_CA_BUNDLE): at thousands of calls a minute that was a large share
    of the client's CPU time. The settings are resolved here once and the session stops looking.
    """
    session = requests.Session()
    session.mount("https://", PoolKeyCachingAdapter(max_retries=retry))
    session.mount("http://", PoolKeyCachingAdapter(max_retries=retry))
    session.headers.update({"Accept": ACCEPT, "User-Agent": USER_AGENT})
    environment = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies.update(environment["proxies"] or {})
    session.verify = environment["verify"]
    session.trust_env = False
    return session


def get_with_retry(
    session: requests.Session, url: str, *, retry: Retry, **kwargs
) -> requests.Response:
    """GET URL through SESSION with RETRY as the retry policy of this one call."""
    return request_with_retry(session, "GET", url, retry=retry, **kwargs)


def request_with_retry(
    session: requests.Session, method: str, url: str, *, retry: Retry, **kwargs
) -> requests.Response:
    """Send METHOD URL through SESSION with RETRY as the retry policy of this one call.

    requests takes the Retry from the adapter, not from the call. A PlatformClient session
    belongs to one thread, so its adapter can carry each call's own Retry (its pacer, deadline).
    """
    session.get_adapter(url).max_retries = retry
    return session.request(method, url, **kwargs)
