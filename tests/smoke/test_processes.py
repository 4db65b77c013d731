"""gunicorn and qcluster start, serve and stop with the production settings on PostgreSQL."""

import re

from tests.production import manage


def test_gunicorn_serves_the_login_page_with_security_headers(gunicorn_server):
    response = gunicorn_server.get("/admin/login/")

    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain http: no HSTS
    assert "; Secure" in response.headers["Set-Cookie"]


def test_gunicorn_sends_hsts_behind_an_https_proxy(gunicorn_server):
    response = gunicorn_server.get("/admin/login/", headers={"X-Forwarded-Proto": "https"})

    assert response.status == 200
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_whitenoise_serves_the_hashed_stylesheets(gunicorn_server):
    page = gunicorn_server.get("/admin/login/").body.decode()
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', page)

    assert stylesheets, page
    for path in stylesheets:
        assert re.search(r"\.[0-9a-f]{12}\.css$", path), f"{path} is not a manifest name"
        response = gunicorn_server.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status == 200, path
        assert response.headers["Content-Type"].startswith("text/css")
        assert "immutable" in response.headers["Cache-Control"]
        assert response.headers["Content-Encoding"] == "gzip"


def test_whitenoise_serves_the_portal_stylesheet(gunicorn_server):
    response = gunicorn_server.get("/static/portal/portal.css")

    assert response.status == 200
    assert b":focus-visible" in response.body


def test_qcluster_runs_a_queued_task(qcluster, smoke_env):
    # async_task writes to the ORM broker; result(wait=...) polls for the outcome, up to 30 s.
    script = (
        "from django_q.tasks import async_task, result\n"
        "task_id = async_task('math.floor', 2.5)\n"
        "print('result:', result(task_id, wait=30_000))\n"
    )

    completed = manage("shell", "--no-imports", "-c", script, env=smoke_env)

    assert completed.returncode == 0, completed.stderr
    assert "result: 2" in completed.stdout, f"{completed.stdout}\n{qcluster.log()}"
