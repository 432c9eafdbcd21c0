"""The web dashboard stand-in (the Next.js app on Vercel): home, history and NextAuth routes.

A browser signs in as the test user through the Google callback route with the sandbox's
code (`SandboxPorts.test_sign_in_url`), or by sending the session cookie
`next-auth.session-token=session_plbook_sandbox_test_user` (both in `addresses`). The
dashboard reads the user's plan and prompts from the backend API, as the real one does.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlencode

from plbook.sandbox import addresses, dashboard_pages
from plbook.sandbox.http_server import (
    Handler,
    Request,
    Response,
    RoutedHTTPServer,
    Router,
    ServerBehaviour,
    html_response,
    json_response,
)
from plbook.sandbox.state import DASHBOARD, PlatformState

GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
SESSION_DAYS = 30
# Where the history script finds the prompts in /api/prompts' answer, and where the
# deployment of the dashboard-stuck-loading fault looks instead.
PROMPTS_FIELD = "data"
STUCK_PROMPTS_FIELD = "prompts"


class BackendUnavailableError(OSError):
    """The backend API did not answer the dashboard's server-side request."""


def _signed_in(request: Request) -> bool:
    try:
        cookies = SimpleCookie(request.header("Cookie"))
    except CookieError:
        return False
    session = cookies.get(addresses.SESSION_COOKIE)
    return session is not None and session.value == addresses.TEST_SESSION_TOKEN


def _redirect(location: str, cookie: str | None = None) -> Response:
    headers = {"Location": location}
    if cookie is not None:
        headers["Set-Cookie"] = cookie
    return Response(302, b"", content_type="text/plain", headers=headers)


def _session_cookie(value: str, max_age: int) -> str:
    return f"{addresses.SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}"


class Dashboard:
    """The dashboard's routes; it reads plans and prompts from the backend API."""

    def __init__(self, platform: PlatformState, ports: addresses.SandboxPorts) -> None:
        self._platform = platform
        self._ports = ports

    def _deployed(self, handler: Handler) -> Handler:
        def answered(request: Request) -> Response:
            if not self._platform.current_deployment(DASHBOARD).healthy:
                self._platform.log(
                    DASHBOARD, "Error: NEXTAUTH_URL is not defined (middleware)", "error"
                )
                return html_response(
                    500, dashboard_pages.page("Error", "<h2>500: Internal Server Error</h2>")
                )
            return handler(request)

        return answered

    def log_request(self, request: Request, response: Response, seconds: float) -> None:
        """Log one line per request, as `vercel logs` shows them."""
        level = "error" if response.status >= 500 else "info"
        self._platform.log(
            DASHBOARD,
            f"{request.method} {request.path} {response.status} duration={round(seconds * 1000)}ms",
            level,
        )

    def _backend_json(self, path: str) -> Any:
        """Give the backend API's JSON answer for the test user, as the server side asks it."""
        api_request = urllib.request.Request(
            f"{self._ports.api_url}{path}",
            headers={"Authorization": f"Bearer {addresses.TEST_USER_TOKEN}"},
        )
        try:
            with urllib.request.urlopen(api_request, timeout=10) as answer:
                return json.load(answer)["data"]
        except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
            self._platform.log(DASHBOARD, f"Error: GET {path} failed: {error}", "error")
            raise BackendUnavailableError(str(error)) from None

    def home(self, request: Request) -> Response:
        if not _signed_in(request):
            return html_response(200, dashboard_pages.signed_out_home(self._ports.test_sign_in_url))
        try:
            usage = self._backend_json("/api/usage")
        except BackendUnavailableError:
            usage = None
        return html_response(200, dashboard_pages.signed_in_home(addresses.TEST_USER_EMAIL, usage))

    def history(self, request: Request) -> Response:
        without_script = ""
        if _signed_in(request):
            try:
                prompts = self._backend_json("/api/prompts?limit=100")
            except BackendUnavailableError:
                return html_response(
                    500,
                    dashboard_pages.page("History", "<h2>Could not load your saved prompts.</h2>"),
                )
            without_script = dashboard_pages.prompts_list_html(prompts)
        field = STUCK_PROMPTS_FIELD if self._platform.dashboard_stuck_loading else PROMPTS_FIELD
        page = dashboard_pages.history_page(self._ports.api_url, field, without_script)
        return html_response(200, page)

    def session(self, request: Request) -> Response:
        """Answer NextAuth's /api/auth/session: {} when signed out, else user and API token."""
        if not _signed_in(request):
            return json_response(200, {})
        expires = datetime.now(timezone.utc) + timedelta(days=SESSION_DAYS)
        return json_response(
            200,
            {
                "user": {"name": addresses.TEST_USER_NAME, "email": addresses.TEST_USER_EMAIL},
                "expires": expires.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "accessToken": addresses.TEST_USER_TOKEN,
            },
        )

    def google_callback(self, request: Request) -> Response:
        """Sign the test user in when Google (or a test) comes back with the sandbox's code."""
        if request.query.get("code") != addresses.TEST_SIGN_IN_CODE:
            return _redirect("/api/auth/error?error=OAuthCallback")
        target = request.query.get("callbackUrl", "/")
        # Only paths on this site: an open redirect would be a bug in the real app too.
        location = target if target.startswith("/") and not target.startswith("//") else "/"
        self._platform.log(DASHBOARD, f"User {addresses.TEST_USER_EMAIL} signed in with Google")
        cookie = _session_cookie(addresses.TEST_SESSION_TOKEN, SESSION_DAYS * 86400)
        return _redirect(location, cookie)

    def sign_out(self, request: Request) -> Response:
        return _redirect("/", _session_cookie("", 0))

    def auth_error(self, request: Request) -> Response:
        error = request.query.get("error", "Default")
        return html_response(
            401,
            dashboard_pages.page("Sign in failed", f"<h2>Sign in failed ({error[:40]})</h2>"),
        )

    def providers(self, request: Request) -> Response:
        base = self._ports.dashboard_url
        return json_response(
            200,
            {
                "google": {
                    "id": "google",
                    "name": "Google",
                    "type": "oauth",
                    "signinUrl": f"{base}/api/auth/signin/google",
                    "callbackUrl": f"{base}/api/auth/callback/google",
                }
            },
        )

    def sign_in_with_google(self, request: Request) -> Response:
        query = urlencode(
            {
                "client_id": self._platform.variable(DASHBOARD, "GOOGLE_CLIENT_ID"),
                "redirect_uri": f"{self._ports.dashboard_url}/api/auth/callback/google",
                "response_type": "code",
                "scope": "openid email profile",
            }
        )
        return _redirect(f"{GOOGLE_AUTHORIZE_URL}?{query}")

    def router(self) -> Router:
        """Give the dashboard's routes."""
        router = Router()
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/", self.home),
            ("GET", "/history", self.history),
            ("GET", "/history/{prompt_id}", self.history),
            ("GET", "/api/auth/providers", self.providers),
            ("GET", "/api/auth/session", self.session),
            ("GET", "/api/auth/callback/google", self.google_callback),
            ("GET", "/api/auth/error", self.auth_error),
            ("POST", "/api/auth/signout", self.sign_out),
            ("POST", "/api/auth/signin/google", self.sign_in_with_google),
            ("GET", "/api/auth/signin/google", self.sign_in_with_google),
        ]
        for method, pattern, handler in routes:
            router.add(method, pattern, self._deployed(handler))
        return router


def _not_found(request: Request) -> Response:
    return html_response(
        404, dashboard_pages.page("Not found", "<h2>404: This page could not be found.</h2>")
    )


def dashboard_server(
    port: int, dashboard: Dashboard, latency_seconds: float = 0.0
) -> RoutedHTTPServer:
    """Give the dashboard's server, not yet started."""
    behaviour = ServerBehaviour(
        _not_found, access_log=dashboard.log_request, latency_seconds=latency_seconds
    )
    return RoutedHTTPServer(addresses.HOST, port, dashboard.router(), behaviour)
