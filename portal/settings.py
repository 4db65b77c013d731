"""Settings for Partner Portal, read from the environment (see .env.example)."""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from portal.mailers import mailers_from_url

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-key-do-not-deploy")
else:
    try:
        SECRET_KEY = env.str("SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is false. Set DEBUG=true for local development."
        ) from exc

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_q",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "accounts",
    # The "Log in with Heroku" provider of django-allauth, an app of its own because allauth
    # finds providers by importing each installed app's `provider` module.
    "accounts.heroku_login",
    "addons",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "accounts.navigation.portal_navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections (docs/reliability.md, "Load"): a new PostgreSQL connection per request
# cost more than the request; keeping each for CONN_MAX_AGE seconds doubled the Partner API's
# throughput. Health checks replace a connection the server dropped before it is used, so a
# database restart costs no failed request. Safe with gunicorn's sync and threaded workers and the
# qcluster (each thread has its own connection; both close old ones around each request or task);
# CONN_MAX_AGE=0 restores a connection per request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout waits out short locks.
    # synchronous=NORMAL: in WAL mode a commit no longer waits for an fsync of the log (only
    # checkpoints sync). The database stays consistent after a crash of the application or of
    # the OS; a power loss may lose the last commits, which the next sync writes again
    # (docs/operations.md).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out username and address before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "provider-home"
LOGOUT_REDIRECT_URL = "account_login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-up, e-mail verification, login, logout and passwords: django-allauth (README, "Accounts").
# An address counts as a person's only once it is proven: by the link sign-up e-mails, or by a
# Heroku login whose account Heroku says is verified. Unverified people cannot log in with a
# password until they follow the link (a login sends a fresh one).
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.heroku_login.adapter.HerokuLoginAdapter"
ACCOUNT_FORMS = {
    "add_email": "accounts.forms.AddEmailForm",
    "login": "accounts.forms.LoginForm",
    "signup": "accounts.forms.SignupForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# One address per person; changing it takes effect once the new one is verified.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# The link in the e-mail shows a page whose button (a POST) verifies: mail scanners only GET.
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# A taken address is a form error on the sign-up page (as it was before allauth), so that many
# simultaneous sign-ups for one address give one account and form errors. The Company tab tells
# its managers whether an address has a provider account anyway. Password reset still tells
# nobody whether an address has an account (accounts.forms.ResetPasswordForm).
ACCOUNT_PREVENT_ENUMERATION = False
# Nobody is e-mailed about an address that has no account (a reset asked for a stranger's address).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Partner Portal: "
# Failed logins are django-axes' to count (below); allauth's other limits (sign-ups, reset
# e-mails, verification e-mails per address) stay on, counted in the cache (CACHE_URL).
ACCOUNT_RATE_LIMITS = {"login_failed": None}
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # the Heroku login starts with a POST (no login CSRF)
SOCIALACCOUNT_STORE_TOKENS = False  # the identity is read once; no token is kept
SOCIALACCOUNT_PROVIDERS = {"heroku": {"SCOPE": ["identity"]}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# One date format for the portal and the admin (portal/formats/en/formats.py).
FORMAT_MODULE_PATH = ["portal.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# STATIC_ROOT is overridable so that test runs can collect static files away from the checkout.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email goes through EMAIL_URL (console by default; e.g. smtp+tls://user:pass@host:587), mapped
# onto Django 6.1's MAILERS setting; a URL that cannot send stops the start-up (portal/mailers.py).
MAILERS = mailers_from_url(
    env.str("EMAIL_URL", default="consolemail://"), timeout=env.int("EMAIL_TIMEOUT", default=10)
)
# Development's console prints each message's text as written, links whole (portal/mail.py).
# Production keeps Django's, which `check --deploy` refuses (mail.E001) as sending nothing.
if DEBUG and MAILERS["default"]["BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    MAILERS["default"]["BACKEND"] = "portal.mail.ConsoleEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Partner Portal <portal@localhost>")
# Absolute links in emails are built from this, since emails are rendered outside a request.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Heroku
HEROKU_API_URL = env.str("HEROKU_API_URL", default="https://api.heroku.com").rstrip("/")
HEROKU_ID_URL = env.str("HEROKU_ID_URL", default="https://id.heroku.com").rstrip("/")
HEROKU_API_TIMEOUT = env.float("HEROKU_API_TIMEOUT", default=10.0)
# "Log in with Heroku" is on when both are set: the portal's own OAuth client, registered with
# `heroku clients:create` (README, "Log in with Heroku"); its callback is
# SITE_URL/accounts/heroku/login/callback/.
HEROKU_OAUTH_CLIENT_ID = env.str("HEROKU_OAUTH_CLIENT_ID", default="")
HEROKU_OAUTH_CLIENT_SECRET = env.str("HEROKU_OAUTH_CLIENT_SECRET", default="")
SOCIALACCOUNT_REQUESTS_TIMEOUT = HEROKU_API_TIMEOUT
# The OAuth grant exchange runs while Heroku waits for the provisioning answer, which it wants
# within 3 s: a hung connect or read is cut off after this many seconds (not from the environment;
# tests shorten it).
GRANT_EXCHANGE_TIMEOUT = 2.0
ACCESS_LIST_MAX_AGE = env.int("ACCESS_LIST_MAX_AGE", default=300)
SSO_SESSION_AGE = env.int("SSO_SESSION_AGE", default=3600)
# Add-on SSO (see README, "Add-on SSO"). A token is valid for SSO_TOKEN_MAX_AGE seconds after its
# timestamp and SSO_CLOCK_SKEW seconds before it; the legacy resource_token (sha1, not bound to a
# user) is refused unless SSO_ALLOW_LEGACY_TOKEN is set.
SSO_TOKEN_MAX_AGE = env.int("SSO_TOKEN_MAX_AGE", default=300)
SSO_CLOCK_SKEW = env.int("SSO_CLOCK_SKEW", default=60)
SSO_ALLOW_LEGACY_TOKEN = env.bool("SSO_ALLOW_LEGACY_TOKEN", default=False)
# A stale or non-matching access list is re-fetched during the login with this timeout; when that
# fails, the stored list still decides for SSO_STALE_GRACE seconds after its last successful sync.
SSO_REFETCH_TIMEOUT = env.float("SSO_REFETCH_TIMEOUT", default=3.0)
SSO_STALE_GRACE = env.int("SSO_STALE_GRACE", default=3600)
SYNC_CONCURRENCY = env.int("SYNC_CONCURRENCY", default=16)
SYNC_INTERVAL = env.int("SYNC_INTERVAL", default=300)
# Add-on webhooks (README, "Keeping access lists fresh"). Heroku sends each resource's deliveries
# to WEBHOOK_BASE_URL + /heroku/webhooks/<subscription>; a resource whose subscription is healthy
# is polled every SYNC_INTERVAL_WITH_WEBHOOK seconds instead of SYNC_INTERVAL (team apps always at
# SYNC_INTERVAL: no webhook tells of team membership). A delivery larger than WEBHOOK_MAX_BODY
# bytes is refused.
WEBHOOK_BASE_URL = env.str("WEBHOOK_BASE_URL", default=SITE_URL).rstrip("/")
SYNC_INTERVAL_WITH_WEBHOOK = env.int("SYNC_INTERVAL_WITH_WEBHOOK", default=3600)
WEBHOOK_MAX_BODY = 256 * 1024
# Each run fetches a team's members once for all its apps (with the team's ETag). An SSO re-fetch
# uses a team list that Heroku confirmed less than TEAM_LIST_REUSE_AGE seconds ago as it is: a
# login then decides on a list at most ACCESS_LIST_MAX_AGE + TEAM_LIST_REUSE_AGE old.
TEAM_LIST_REUSE_AGE = env.int("TEAM_LIST_REUSE_AGE", default=60)
# A run starts no new resource once Heroku's RateLimit-Remaining falls below this (the pool is
# shared with every other use of the account's tokens); the next run takes the rest first.
SYNC_RATE_LIMIT_RESERVE = env.int("SYNC_RATE_LIMIT_RESERVE", default=500)
# How long a sync run's claim on a resource holds unless the run renews it (every third of it):
# the claims of a killed run block other runs for at most this long.
SYNC_CLAIM_LEASE = env.int("SYNC_CLAIM_LEASE", default=120)
# The circuit breaker (README, "Keeping access lists fresh"): when more than SYNC_BREAKER_SHARE of
# the lists a run compares shrink at once (the apps of one team counting as one), once it has
# compared at least SYNC_BREAKER_MIN_LISTS, additions pause in every run for SYNC_BREAKER_HOLD
# seconds; removals always apply. Operators are told in the admin and by e-mail.
SYNC_BREAKER_SHARE = env.float("SYNC_BREAKER_SHARE", default=0.5)
SYNC_BREAKER_MIN_LISTS = env.int("SYNC_BREAKER_MIN_LISTS", default=20)
SYNC_BREAKER_HOLD = env.int("SYNC_BREAKER_HOLD", default=1800)
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)

# The add-on lifecycle (README, "Plugging in your service"). An add-on with a service URL and
# signing secret is provisioned by its service over HTTP; the others by ADDON_PROVISIONER, a
# dotted path to a subclass of addons.lifecycle.provisioners.Provisioner (empty: the built-in
# default, one URL per resource). PROVISIONER_TIMEOUT bounds each event sent to a service, and
# SERVICE_EVENT_MAX_AGE how far a signed event's timestamp may be from the clock, either way.
ADDON_PROVISIONER = env.str("ADDON_PROVISIONER", default="")
PROVISIONER_TIMEOUT = env.float("PROVISIONER_TIMEOUT", default=10.0)
SERVICE_EVENT_MAX_AGE = env.int("SERVICE_EVENT_MAX_AGE", default=300)
# Rotate every provisioned resource's credentials after this many days (0: never), and keep the
# old ones valid this long after Heroku has the new ones (running dynos restart meanwhile).
CREDENTIAL_ROTATION_DAYS = env.int("CREDENTIAL_ROTATION_DAYS", default=0)
CREDENTIAL_OVERLAP_SECONDS = env.int("CREDENTIAL_OVERLAP_SECONDS", default=7200)

# Throttling (README, "Security"). Proxies in front of the portal that append to X-Forwarded-For
# (Heroku's router: 1); 0 trusts no header and uses the connection's address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Failed logins, portal and admin alike (django-axes): 5 failures of one username from one address
# lock that pair out for 15 minutes; a success resets the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.login_lockout"
# One reading of the client address (django-ipware, behind TRUSTED_PROXY_COUNT) for every limit.
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
# The portal's login form (allauth) sends the address as "login", the admin's as "username".
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "accounts.throttling.login_username"
AXES_SENSITIVE_PARAMETERS = ["password"]
# django-axes prints its banner in every process that starts Django (migrate, the worker, both
# runserver processes); portal/wsgi.py states the lockout policy once, where requests are served.
AXES_VERBOSE = False
# Bad invitation links (token guessing): 10 from one address within a 15-minute window block that
# address's invitation links for the rest of the window (django-ratelimit, counted in the cache
# below; each address's windows start at a fixed offset of its own).
INVITATION_LINK_FAILURE_LIMIT = env.int("INVITATION_LINK_FAILURE_LIMIT", default=10)
INVITATION_LINK_COOLOFF = timedelta(minutes=env.int("INVITATION_LINK_COOLOFF_MINUTES", default=15))
# The throttle counters live here: per process by default; set CACHE_URL (e.g. redis://… or
# dbcache://portal_cache after `manage.py createcachetable`) to share them between processes.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Secrets at rest (tokens, manifest passwords, SSO salts, OAuth client secrets) are encrypted
# with Fernet. FIELD_ENCRYPTION_KEY is a comma-separated list: the first key encrypts, every key
# decrypts, so a new key is prepended to rotate (see docs/operations.md).
if DEBUG:
    _dev_key = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[_dev_key])
else:
    try:
        FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be set when DEBUG is false. Generate one with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        ) from exc

# django-q2: the ORM broker by default, Redis when REDIS_URL is set.
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER = {
    "name": "portal",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 600,
    "retry": 660,
    "max_attempts": 1,
    "catch_up": False,
    "label": "Tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Security headers. The CSP allows no inline script or style anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "refusals_without_traceback": {"()": "portal.logging.RefusalsWithoutTraceback"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default logging gives "django" a console handler of its own; its records
        # reach the root's console too, so every line was printed twice in DEBUG.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["refusals_without_traceback"]},
        "django.db.backends": {"level": "WARNING"},
    },
}
