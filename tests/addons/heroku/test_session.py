"""The sessions Platform API calls go through, against the loopback fake Heroku."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.utils import timezone

from addons.heroku.client import PlatformClient, ResourceCredentials
from addons.heroku.session import platform_session

ELSEWHERE = "http://api.heroku.invalid"  # never resolved: only a proxy can answer for it


def test_the_proxy_the_environment_named_is_used_even_after_the_environment_changes(
    fake_heroku, monkeypatch
):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", fake_heroku.url)  # the fake plays the proxy
    session = platform_session(ELSEWHERE)
    monkeypatch.delenv("HTTP_PROXY")
    session.get(f"{ELSEWHERE}/addons/one", timeout=2)
    # A proxy is sent the whole URL: the fake counts it as the path.
    assert fake_heroku.path_counts[f"{ELSEWHERE}/addons/one"] == 1


def test_a_netrc_entry_never_replaces_the_bearer_token(fake_heroku, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    session = platform_session(fake_heroku.url)
    session.get(f"{fake_heroku.url}/addons/one", headers={"Authorization": "Bearer t"}, timeout=2)
    (_, _, headers) = fake_heroku.requests[-1]
    assert headers["Authorization"] == "Bearer t"


def test_one_client_serves_many_threads_at_once(fake_heroku, settings):
    resources = [fake_heroku.world.add_resource() for _ in range(12)]
    client = PlatformClient(base_url=fake_heroku.url, timeout=5)

    def app_of(resource):
        uuid, token = resource
        credentials = ResourceCredentials(
            access_token=token, expires_at=timezone.now() + timedelta(hours=1)
        )
        return [client.fetch_addon(uuid, credentials=credentials).app_id for _ in range(5)]

    with ThreadPoolExecutor(8) as threads:
        answers = list(threads.map(app_of, resources))
    for (uuid, _), apps in zip(resources, answers, strict=True):
        assert apps == [fake_heroku.world.addons[uuid]["app"]["id"]] * 5
