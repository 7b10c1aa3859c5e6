"""Aerodrome settings: everything that differs between installs comes from environment variables.

With no DATABASE_URL or CELERY_BROKER_URL the embedded defaults apply (SQLite and Celery's filesystem
transport under VAR_DIR), so `make run` needs no services. Production sets both.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from aerodrome.env import env_bool, env_int, env_list, env_networks, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # embedded SQLite, Celery's filesystem queue, beat's schedule

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-do-not-use-in-production")
else:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Links that leave the page (invitation emails, SSO bypass links) start with SITE_URL (aerodrome/site.py). In DEBUG
# it may stay unset: links then use the address the request came to.
SITE_URL = env_str("SITE_URL", "")
# What serving needs outside DEBUG but build steps (collectstatic, makemigrations) do not: the web server and the
# worker refuse to start while any is missing (aerodrome/serving.py); `check --deploy` reports it.
MISSING_TO_SERVE = []
if not DEBUG and not SITE_URL:
    MISSING_TO_SERVE.append(
        "SITE_URL is required outside DEBUG: the address people open Aerodrome at, e.g. https://aerodrome.example.com "
        "(invitation emails link to it)."
    )
SITE_NAME = "Aerodrome"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "oauth2_provider",  # Aerodrome as the OpenID Connect provider of its Deployments' Airflow (deployments/oidc.py)
    "accounts",
    "workspaces",
    "deployments",
    "monitoring",
    "aerodrome",  # the project level above the apps: `manage.py seed_demo`
]

MIDDLEWARE = [
    "aerodrome.health.ProbeMiddleware",  # probes name the pod's IP as their host: answered before the host check
    "monitoring.platform_metrics.views.MetricsEndpointMiddleware",  # so does Prometheus scraping /metrics
    "monitoring.platform_metrics.middleware.RequestMetricsMiddleware",  # counts and times every other request
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "aerodrome.api.middleware.ApiErrorMiddleware",  # outside the others: every /api/ error leaves as JSON
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "aerodrome.middleware.Utf8BodyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "aerodrome.middleware.HtmxMessagesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.AuditContextMiddleware",
    "accounts.middleware.RememberRolesMiddleware",
    "accounts.middleware.HtmxLoginRedirectMiddleware",
    "aerodrome.middleware.BrandedNotFoundMiddleware",
    "aerodrome.site.RequestOriginMiddleware",
]

ROOT_URLCONF = "aerodrome.urls"
WSGI_APPLICATION = "aerodrome.wsgi.application"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": environ.Env.db_url_config(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'aerodrome.sqlite3'}"))
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Connections are kept between requests (a new one forks a PostgreSQL backend whose caches start cold: most of a
# simple page's time), and checked before a request reuses one, so a database restart fails no request.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is shared by several processes (web, worker, beat). WAL lets readers go on while one
    # writes; a writer waits up to `timeout` seconds for its turn instead of failing with "database is locked"; and
    # IMMEDIATE takes the write lock when a transaction begins, so two transactions that read then write never
    # deadlock upgrading their locks (SQLite fails one of them at once, without waiting).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login; sign-up can be switched off for closed installs.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_ALLOW_SIGNUP = env_bool("ACCOUNT_ALLOW_SIGNUP", True)
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Aerodrome] "
# Single sign-on (accounts/sso/): each organisation's OpenID Connect IdP is an allauth `openid_connect` app built
# from its SSOConnection by the adapter (no SocialApp rows). The login form asks for the email first and sends
# addresses of a managed domain to their IdP (home realm discovery).
ACCOUNT_FORMS = {"login": "accounts.sso.forms.LoginForm", "signup": "accounts.signup.SignupForm"}
# No page tells whether an address has an account: password resets answer alike and email an unknown address that
# it has none; sign-up answers alike too (accounts/signup.py, since verification here is optional).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
SOCIALACCOUNT_ADAPTER = "accounts.sso.adapter.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("SSO_HTTP_TIMEOUT", 5)  # seconds, for every call to an IdP
SSO_BYPASS_LINK_HOURS = env_int("SSO_BYPASS_LINK_HOURS", 24)

# Aerodrome is the OpenID Connect provider of its own Deployments' Airflow (django-oauth-toolkit, deployments/oidc.py):
# one confidential authorization-code client per Deployment, consent-free, ID tokens signed RS256 with
# OIDC_RSA_PRIVATE_KEY (a PEM; required outside DEBUG, where a key is made once under VAR_DIR).
OIDC_RSA_PRIVATE_KEY = env_str("OIDC_RSA_PRIVATE_KEY", "")
if not OIDC_RSA_PRIVATE_KEY and not DEBUG:
    MISSING_TO_SERVE.append(
        "OIDC_RSA_PRIVATE_KEY is required outside DEBUG: the RSA private key (PEM) that signs the ID tokens "
        "Aerodrome gives Airflow, e.g. from `openssl genrsa 2048`."
    )
elif not OIDC_RSA_PRIVATE_KEY:
    from aerodrome.oidc_keys import development_key

    OIDC_RSA_PRIVATE_KEY = development_key(VAR_DIR / "oidc-development-key.pem")
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]  # http redirect URIs: clusters without TLS (see OAUTH2_PROVIDER)
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"  # named, for the Deployment's foreign key
AIRFLOW_LOGIN_TOKEN_SECONDS = env_int("AIRFLOW_LOGIN_TOKEN_SECONDS", 300)
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": OIDC_RSA_PRIVATE_KEY,
    "OAUTH2_VALIDATOR_CLASS": "deployments.oidc.AirflowOAuth2Validator",
    "SCOPES": {"openid": "Sign in", "profile": "Your name", "email": "Your email address"},
    "DEFAULT_SCOPES": ["openid"],
    "PKCE_REQUIRED": True,
    # Airflow redeems a code at once and asks nothing else of Aerodrome afterwards; the session it opens is its own.
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": AIRFLOW_LOGIN_TOKEN_SECONDS,
    "ID_TOKEN_EXPIRE_SECONDS": AIRFLOW_LOGIN_TOKEN_SECONDS,
    # A Deployment's Airflow URL is https on clusters with a TLS setting; on the others it is http, and the Deployment
    # page says its logins travel unencrypted (the one RFC 9700 recommendation not enforced, W008 silenced below).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # The OAuth 2.0 Security BCP (RFC 9700) throughout: no implicit or password grants, S256 PKCE only, tokens never
    # in URLs, `iss` in authorization responses, tokens stored hashed; the config gates make a regression an error.
    **{
        f"COMPLIANT_BCP_RFC9700_{gate}": True
        for gate in (
            "IMPLICIT_GRANT",
            "PASSWORD_GRANT",
            "PKCE_METHOD",
            "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS",
            "TOKEN_STORAGE",
            "REFRESH_TOKEN",
            "REDIRECT_URI_MATCHING",
            "PKCE_REQUIRED",
        )
    },
}
# Verified SSO domains (accounts/sso/domains.py): the DNS servers asked for the TXT record (host or host:port; empty
# uses the system's resolver), how long a check may take in all, and how often verified domains are checked again.
SSO_DNS_NAMESERVERS = env_list("SSO_DNS_NAMESERVERS", [])
SSO_DNS_TIMEOUT = env_int("SSO_DNS_TIMEOUT", 5)
SSO_DOMAIN_RECHECK_SECONDS = env_int("SSO_DOMAIN_RECHECK_SECONDS", 6 * 3600)
# An IdP's signing keys (JWKS) are cached this long; a token signed with a key not in the cache fetches them again.
SSO_JWKS_CACHE_SECONDS = env_int("SSO_JWKS_CACHE_SECONDS", 3600)
# Failed logins are rate-limited per client IP and per account (allauth counts them in the cache).
ACCOUNT_RATE_LIMITS = {"login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key")}

# The cache holds rate-limit counters: use a shared one (CACHE_URL=redis://...) when running several web processes.
CACHES = {"default": environ.Env.cache_url_config(env_str("CACHE_URL", "locmemcache://"))}

# EMAIL_URL such as smtp+tls://user:password@mail.example.com:587 (django-environ's format). Outside DEBUG mail must
# really leave (invitations): the console, file and memory backends are refused, as `check --deploy` refuses them.
_email_url = env_str("EMAIL_URL", "consolemail://" if DEBUG else "")
_email = environ.Env.email_url_config(_email_url) if _email_url else {"EMAIL_BACKEND": ""}
if not DEBUG and not _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    MISSING_TO_SERVE.append(
        "EMAIL_URL must name a mail server outside DEBUG, e.g. smtp+tls://user:password@mail.example.com:587 "
        f"(got {_email_url.split(':', 1)[0] + '://' if _email_url else 'nothing'})."
    )
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    "timeout": env_int("EMAIL_TIMEOUT", 10),  # a hanging mail server must not hold a request for ever
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {k: v for k, v in _smtp_options.items() if v} if "smtp" in _email["EMAIL_BACKEND"] else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Aerodrome <aerodrome@localhost>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Outside DEBUG, static files are served from STATIC_ROOT under hashed names (collectstatic at image build). The
# manifest stays strict: a {% static %} name missing from it is an error, which the production-serving tests catch
# for every template, rather than a page silently without its stylesheet.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Cookies are secure unless we are explicitly in development.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
X_FRAME_OPTIONS = "DENY"
# HTTPS in production (README "Production"): plain HTTP is redirected, except the probes, which the orchestrator
# calls inside the cluster (aerodrome.health.ProbeMiddleware answers them first); HSTS then keeps browsers on HTTPS.
# Off by default: HSTS cannot be undone quickly.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

REST_FRAMEWORK = {
    # The Bearer class comes first: it answers unauthenticated calls with 401 and `WWW-Authenticate: Bearer`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "aerodrome.api.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["aerodrome.api.search.SearchFilter"],  # `?search=` over each view's search_fields
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "aerodrome.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "aerodrome.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "aerodrome.api.parsers.JSONParser",  # refuses bodies nested too deep (400, not a RecursionError)
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "aerodrome.api.throttling.ClientRateThrottle",
        "aerodrome.api.throttling.AnonymousRateThrottle",
    ],
    # Anonymous callers are counted per address: the proxy's (the last X-Forwarded-For entry) when behind one.
    "NUM_PROXIES": 1 if SECURE_PROXY_SSL_HEADER else 0,
}
# Requests per person or API token, and per address for anonymous callers (aerodrome/api/throttling.py).
API_RATE_LIMITS = {
    "client": env_rate("API_RATE_LIMIT", "1200/minute"),
    "anonymous": env_rate("API_ANON_RATE_LIMIT", "60/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Aerodrome API",
    "DESCRIPTION": "Manage organisations, workspaces, teams and Airflow Deployments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # PATCH bodies have their own serializers that already say which fields may be left out.
    "COMPONENT_SPLIT_PATCH": False,
    # Both role ladders appear as `role`; name their enums after the ladder.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "aerodrome.api.schema.add_error_responses",  # the error responses every operation refers to
    ],
    "ENUM_NAME_OVERRIDES": {
        "OrgRoleEnum": "accounts.roles.OrgRole",
        "WorkspaceRoleEnum": "accounts.roles.WorkspaceRole",
        "MarkerKindEnum": "monitoring.metrics.catalogue.MARKER_KINDS",
        "DeployKindEnum": "deployments.deploys.models.Deploy.Kind",
        "ChannelKindEnum": "monitoring.alerts.channels.models.Channel.Kind",
        "AlertRuleMatchEnum": "monitoring.alerts.models.AlertRule.Match",  # a rule's dag_match and task_match
    },
}

# Celery: Redis in production; Celery's filesystem transport under VAR_DIR when nothing is configured.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    for _folder in ("queue", "processed", "results", "control"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    _default_results = f"file://{VAR_DIR / 'celery' / 'results'}"
else:
    _default_results = CELERY_BROKER_URL
# Time limits of every task: the soft one raises inside the task (which cleans up), the hard one kills its process
# (prefork pool; the threads pool enforces neither, so reconcile's lease heartbeat also stops at the hard limit).
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 30, CELERY_TASK_TIME_LIMIT * 9 // 10)
# Reconcile wake-ups are published at most this far ahead (the longest retry backoff, deployments/kube/scheduling).
RECONCILE_BACKOFF_MAX_SECONDS = 300
# A broker that is down or hangs costs a request at most a few seconds: the desired state is already committed,
# and the sweep enqueues what could not be (see deployments/kube/scheduling.py).
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_TIMEOUT", 2)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        "socket_timeout": CELERY_BROKER_CONNECTION_TIMEOUT + 3,  # above the worker's 1 s BRPOP
        "max_retries": 1,  # connecting to publish; the worker's own consumer reconnects for ever
        # A delivered, unacknowledged message goes back to the queue after this: longer than a task may run
        # (acks_late) plus the furthest a wake-up is scheduled ahead (the worker holds it until then).
        "visibility_timeout": CELERY_TASK_TIME_LIMIT + RECONCILE_BACKOFF_MAX_SECONDS + 60,
    }
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT  # the result backend
    CELERY_REDIS_SOCKET_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT + 3
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", _default_results)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
# A task whose worker process dies (SIGKILL, OOM) goes back to the queue instead of being acknowledged and lost.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "deployments-sweep": {"task": "deployments.tasks.sweep", "schedule": env_int("RECONCILE_SWEEP_SECONDS", 30)},
    "deployments-purge": {"task": "deployments.tasks.purge_deleted", "schedule": 3600},
    "airflow-login-tokens-clear": {"task": "deployments.tasks.clear_expired_airflow_tokens", "schedule": 3600},
    "notifications-sweep": {"task": "monitoring.alerts.tasks.sweep_deliveries", "schedule": 60},
    "sso-domains-recheck": {"task": "accounts.tasks.sso_domains_recheck", "schedule": SSO_DOMAIN_RECHECK_SECONDS},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Secrets at rest (aerodrome/crypto.py): Fernet keys, first one encrypts; empty derives a key from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])

# Metrics from each cluster's Prometheus (monitoring/metrics): how long one query may take (a Prometheus that is down
# must not hold a page), and how long a query's answer for one window is reused.
PROMETHEUS_TIMEOUT_MS = env_int("PROMETHEUS_TIMEOUT_MS", 2000)
METRICS_CACHE_SECONDS = env_int("METRICS_CACHE_SECONDS", 30)

# Alert notifications (monitoring/alerts): how long one call to a channel may take, how often a delivery is tried
# (transient failures only: 5xx, 429, timeouts, connection errors) and the first wait between attempts (doubled each
# time); the PagerDuty and Opsgenie APIs' addresses (Opsgenie's EU instance is https://api.eu.opsgenie.com).
NOTIFICATION_TIMEOUT_SECONDS = env_int("NOTIFICATION_TIMEOUT_SECONDS", 10)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 5)
NOTIFICATION_RETRY_BACKOFF_SECONDS = env_int("NOTIFICATION_RETRY_BACKOFF_SECONDS", 30)
PAGERDUTY_EVENTS_URL = env_str("PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com/v2/enqueue")
OPSGENIE_API_URL = env_str("OPSGENIE_API_URL", "https://api.opsgenie.com")

# Provisioning (deployments/kube): how patiently we talk to Kubernetes, and when status counts as stale.
KUBE_REQUEST_TIMEOUT = env_int("KUBE_REQUEST_TIMEOUT", 10)
KUBE_RETRIES = env_int("KUBE_RETRIES", 4)
KUBE_BACKOFF_MS = env_int("KUBE_BACKOFF_MS", 500)
RECONCILE_STALE_SECONDS = env_int("RECONCILE_STALE_SECONDS", 600)  # the sweep re-checks status this old
READINESS_TIMEOUT_SECONDS = env_int("READINESS_TIMEOUT_SECONDS", 900)  # then DEPLOYING becomes UNHEALTHY
READINESS_POLL_SECONDS = env_int("READINESS_POLL_SECONDS", 5)
# A run's lease on its Deployment, renewed while the run lives: a killed worker's lapses within this.
RECONCILE_LEASE_SECONDS = env_int("RECONCILE_LEASE_SECONDS", 60)
# An unreachable cluster is retried this many times, the first after RECONCILE_BACKOFF_SECONDS, each wait twice
# the last (at most RECONCILE_BACKOFF_MAX_SECONDS); then the Deployment is Failed until someone retries it.
RECONCILE_RETRIES = env_int("RECONCILE_RETRIES", 8)
RECONCILE_BACKOFF_SECONDS = env_int("RECONCILE_BACKOFF_SECONDS", 5)
DELETED_RETENTION_DAYS = 14
# Outbound calls to addresses organisations choose (aerodrome/outbound.py): their clusters' API servers, metadata
# PostgreSQL and Prometheus, their identity providers. An address that is not public is refused unless it is in
# OUTBOUND_ALLOWED_NETWORKS (a self-hosted install's private ranges); Aerodrome's own services and addresses, and
# OUTBOUND_DENIED_NETWORKS, are refused even there. Platform clusters, configured by staff, are exempt.
OUTBOUND_ALLOWED_NETWORKS = env_networks("OUTBOUND_ALLOWED_NETWORKS")
OUTBOUND_DENIED_NETWORKS = env_networks("OUTBOUND_DENIED_NETWORKS")
# Component logs (monitoring/logs): every read is bounded. Pods read per request, bytes and lines read per
# container, lines a page shows (the newest), lines a download holds.
LOGS_MAX_PODS = env_int("LOGS_MAX_PODS", 20)
LOGS_BYTES_PER_CONTAINER = env_int("LOGS_BYTES_PER_CONTAINER", 2 * 1024 * 1024)
LOGS_LINES_PER_CONTAINER = env_int("LOGS_LINES_PER_CONTAINER", 5000)
LOGS_PAGE_LINES = env_int("LOGS_PAGE_LINES", 1000)
LOGS_DOWNLOAD_LINES = env_int("LOGS_DOWNLOAD_LINES", 50000)
# The platform's own /metrics (monitoring/platform_metrics): readable with `Authorization: Bearer <token>` or from an
# allowed network; with neither set it is off (404). Request counts are per process: under gunicorn they are shared
# through PROMETHEUS_MULTIPROC_DIR (prometheus-client's own variable, set by platform/gunicorn.conf.py).
PLATFORM_METRICS_TOKEN = env_str("PLATFORM_METRICS_TOKEN", "")
if PLATFORM_METRICS_TOKEN and len(PLATFORM_METRICS_TOKEN) < 24:
    raise ImproperlyConfigured("PLATFORM_METRICS_TOKEN must be at least 24 characters long.")
PLATFORM_METRICS_ALLOWED_NETWORKS = env_networks("PLATFORM_METRICS_ALLOWED_NETWORKS")
# Deploys (deployments/deploys): DAG archives' limits (a zip bomb stops at the unpacked limit), where archives are
# stored (filesystem under VAR_DIR, or an S3-compatible bucket through django-storages: several web replicas need
# that), how pods' DAG sync polls, and the registries resolved over plain HTTP (host:port, e.g. a lab registry).
DAG_BUNDLE_MAX_BYTES = env_int("DAG_BUNDLE_MAX_BYTES", 100 * 1024 * 1024)
DAG_BUNDLE_MAX_UNPACKED_BYTES = env_int("DAG_BUNDLE_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024)
DAG_BUNDLE_MAX_FILES = env_int("DAG_BUNDLE_MAX_FILES", 10000)
DAG_BUNDLE_STORAGE = env_str("DAG_BUNDLE_STORAGE", "filesystem")
if DAG_BUNDLE_STORAGE == "filesystem":
    STORAGES["dag_bundles"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "dag-bundles")},
    }
elif DAG_BUNDLE_STORAGE == "s3":
    # Credentials come the usual boto3 way (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a role, a profile).
    STORAGES["dag_bundles"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("DAG_BUNDLE_S3_BUCKET"),
            "endpoint_url": env_str("DAG_BUNDLE_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("DAG_BUNDLE_S3_REGION", "") or None,
            "location": env_str("DAG_BUNDLE_S3_PREFIX", "dag-bundles"),
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": False,
        },
    }
else:
    raise ImproperlyConfigured("DAG_BUNDLE_STORAGE must be filesystem or s3.")
DAG_SYNC_INTERVAL_SECONDS = env_int("DAG_SYNC_INTERVAL_SECONDS", 30)
DEPLOY_REGISTRY_TIMEOUT = env_int("DEPLOY_REGISTRY_TIMEOUT", 10)
DEPLOY_INSECURE_REGISTRIES = env_list("DEPLOY_INSECURE_REGISTRIES", [])
# What manifests rendered for the built-in "manifests only" cluster point at (GitOps users adjust these).
MANIFESTS_ONLY_INGRESS_DOMAIN = env_str("MANIFESTS_ONLY_INGRESS_DOMAIN", "airflow.example.com")
MANIFESTS_ONLY_DATABASE_HOST = env_str("MANIFESTS_ONLY_DATABASE_HOST", "postgresql.airflow.svc.cluster.local")
# Alerts (monitoring/alerts): how often Prometheus evaluates a Deployment's rules, and how long after a DAG or task
# event (a failure, a success, a slow run) its alert keeps firing before it resolves by itself.
ALERT_RULE_INTERVAL_SECONDS = env_int("ALERT_RULE_INTERVAL_SECONDS", 30)
ALERT_EVENT_WINDOW_SECONDS = env_int("ALERT_EVENT_WINDOW_SECONDS", 600)
# Calls to a cluster's Alertmanager (silences): seconds before an unreachable one is reported.
ALERTMANAGER_TIMEOUT_SECONDS = env_int("ALERTMANAGER_TIMEOUT_SECONDS", 5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
