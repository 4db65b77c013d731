"""Settings for the test suite: the real settings, with django-q2 in sync mode and fast hashing.

django-q2 reads Q_CLUSTER when it is imported, so the test suite needs its own settings module
rather than overriding Q_CLUSTER per test.
"""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from portal.settings import *  # noqa: E402,F403
from portal.settings import Q_CLUSTER  # noqa: E402

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# pytest-django runs with DEBUG off, so WhiteNoise would scan STATIC_ROOT, which tests never
# collect into; serve from the finders instead, as in development.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Threaded tests (two deliveries of one request at the same moment) need SQLite to wait for a lock
# as it does in production. The default in-memory test database shares one cache between
# threads, where a lock fails at once ("database table is locked"), so test on a file instead.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"partner-portal-test-{os.getpid()}.sqlite3")
    }
