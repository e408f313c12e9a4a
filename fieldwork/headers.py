"""Transport and browser security: the headers on every response, HTTPS, and which proxy headers to believe.

Content-Security-Policy: scripts only from our own files (no inline code, no eval: htmx is used without ``hx-on``,
``js:`` values or trigger filters, which are the features that need eval), no plugins, no framing, forms and fetches
to ourselves only; the service worker and the manifest are our own files too.

Styles are the one concession: ``style-src`` allows inline *attributes* ('unsafe-inline') because progress bars
draw their width from data (``<span style="width: 40%">``), while ``style-src-elem 'self'`` refuses inline
``<style>`` blocks in browsers that know it (Chrome 75+, Firefox 108+, Safari 15.4+; older ones fall back to
``style-src``). A style attribute cannot run script, and with ``img-src``/``font-src``/``connect-src 'self'``
injected CSS cannot send anything to another host. Replacing the bars by SVG (``<rect width="40">``) would let
the exception go.

Signed-in HTML pages are ``Cache-Control: no-store`` unless their view says otherwise (the member's pages kept for
offline use say ``private, no-store`` themselves): after sign-out, the Back button shows nothing of them.

PDFs get no CSP and no X-Frame-Options: Chrome shows them in its built-in viewer, which such a policy breaks, and
a PDF we generate carries no script.

HTTPS (``HTTPS = True``): Secure cookies with the ``__Host-`` prefix (bound to this host, path /), HSTS for a year.
The redirect from http:// to https:// is the proxy's job. ``TRUSTED_PROXIES = n`` believes the last n hops of
X-Forwarded-For and X-Forwarded-Proto (ProxyFix): only set it when a proxy you run overwrites those headers,
otherwise a client could pick its own address and dodge the per-address sign-in limit.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "style-src-elem 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # our own pages get the Referer (CSRF checks need it); no other site does
    "Cross-Origin-Opener-Policy": "same-origin",
}

HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    if app.config["HTTPS"]:
        app.config.update(
            SESSION_COOKIE_SECURE=True,
            SESSION_COOKIE_NAME="__Host-session",
            REMEMBER_COOKIE_SECURE=True,
            REMEMBER_COOKIE_NAME="__Host-remember_token",
            PREFERRED_URL_SCHEME="https",
        )
    proxies = int(app.config["TRUSTED_PROXIES"] or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype != "application/pdf":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["HTTPS"]:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    # The user as this request loaded it (every page does, for its header); is_anonymous reads no column, which
    # matters here: the request's database session is already closed.
    user = g.get("_login_user")
    if response.mimetype == "text/html" and user is not None and not user.is_anonymous:
        # A signed-in page is not kept by the browser: after sign-out, Back shows nothing of it.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
