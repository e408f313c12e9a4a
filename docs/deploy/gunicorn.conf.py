"""gunicorn settings for Fieldwork in production: `gunicorn -c docs/deploy/gunicorn.conf.py "fieldwork:create_app()"`.

Every value can be overridden by an environment variable (GUNICORN_*), so one file serves a 2-core commune server and
a larger provincial one. The figures behind the defaults are in docs/performance.md; the reasoning in docs/deploy.md.
"""

import gc
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# nginx talks to gunicorn over loopback (or a unix socket: GUNICORN_BIND=unix:/run/fieldwork/gunicorn.sock).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Processes × threads. Requests spend much of their time waiting for the database (and, on SQLite, for its write
# lock), so a few threads per process keep the cores busy; more processes than 2 per core only add memory.
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count())
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)

# Import the app once, before forking: workers start in milliseconds and share the imported code's memory.
# The database engine connects lazily, after the fork, so no connection is shared between processes.
preload_app = True


def pre_fork(server, worker):
    """The imported app's objects (about 170,000: models, compiled statements, templates, catalogues) are moved out of
    the garbage collector's reach before each worker is forked (``gc.freeze``, as Python's documentation advises for
    pre-forking servers): a worker's full collections no longer walk them all. Measured on the bench province, in
    process: 0.18 -> 0.02 ms of collection per built household page (a full collection every ~600 pages took ~100 ms).
    It also keeps the collector from writing to the shared pages, which copy-on-write would then duplicate."""
    gc.freeze()

timeout = _int("GUNICORN_TIMEOUT", 60)  # the slowest page (a commune's A4 report as PDF) takes a few seconds
graceful_timeout = 20
keepalive = 5  # nginx keeps upstream connections open (see docs/deploy/nginx-fieldwork.conf)

# A worker is replaced after this many requests (with jitter, so they do not all restart at once): a safety net
# against slow memory growth in a dependency; docs/performance.md shows the workers' memory staying flat.
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2000)

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
# The client address nginx passes on; the app itself trusts X-Forwarded-For only with FIELDWORK_TRUSTED_PROXIES=1.
access_log_format = '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = "127.0.0.1"
