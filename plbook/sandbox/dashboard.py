"""The web dashboard stand-in (the Next.js app on Vercel): home, history and NextAuth routes."""

from __future__ import annotations

import html
import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

from plbook.sandbox import addresses
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


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><header><h1>PromptLens Dashboard</h1></header>{body}</body></html>"
    )


class Dashboard:
    """The dashboard's routes; it reads prompts from the backend API, as the real one does."""

    def __init__(self, platform: PlatformState, ports: addresses.SandboxPorts) -> None:
        self._platform = platform
        self._ports = ports

    def _deployed(self, handler: Handler) -> Handler:
        def answered(request: Request) -> Response:
            if not self._platform.current_deployment(DASHBOARD).healthy:
                self._platform.log(
                    DASHBOARD, "Error: NEXTAUTH_URL is not defined (middleware)", "error"
                )
                return html_response(500, _page("Error", "<h2>500: Internal Server Error</h2>"))
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

    def home(self, request: Request) -> Response:
        return html_response(
            200,
            _page(
                "PromptLens Dashboard",
                (
                    "<p>Optimize and save your prompts.</p>"
                    '<form method="post" action="/api/auth/signin/google">'
                    "<button>Sign in with Google</button></form>"
                    "<p>Free Plan: 50 optimizations a month.</p>"
                    '<p><a href="/history">History</a></p>'
                ),
            ),
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
        return Response(
            302,
            b"",
            content_type="text/plain",
            headers={"Location": f"{GOOGLE_AUTHORIZE_URL}?{query}"},
        )

    def history(self, request: Request) -> Response:
        api_request = urllib.request.Request(
            f"{self._ports.api_url}/api/prompts?"
            + urlencode({"page": request.query.get("page", 1)}),
            headers={"Authorization": f"Bearer {addresses.TEST_USER_TOKEN}"},
        )
        try:
            with urllib.request.urlopen(api_request, timeout=10) as answer:
                prompts = json.load(answer)["data"]
        except (urllib.error.URLError, OSError, ValueError) as error:
            self._platform.log(DASHBOARD, f"Error: GET /api/prompts failed: {error}", "error")
            return html_response(
                500, _page("History", "<h2>Could not load your saved prompts.</h2>")
            )
        items = "".join(
            f"<li><time>{html.escape(p['createdAt'])}</time> "
            f"<strong>{html.escape(p['originalPrompt'])}</strong>"
            f"<p>{html.escape(p['optimizedPrompt'])}</p><span>optimized</span></li>"
            for p in prompts
        )
        return html_response(
            200, _page("History", f'<h2>Saved Prompts</h2><ul id="prompts">{items}</ul>')
        )

    def router(self) -> Router:
        """Give the dashboard's routes."""
        router = Router()
        router.add("GET", "/", self._deployed(self.home))
        router.add("GET", "/history", self._deployed(self.history))
        router.add("GET", "/api/auth/providers", self._deployed(self.providers))
        router.add("POST", "/api/auth/signin/google", self._deployed(self.sign_in_with_google))
        router.add("GET", "/api/auth/signin/google", self._deployed(self.sign_in_with_google))
        return router


def _not_found(request: Request) -> Response:
    return html_response(404, _page("Not found", "<h2>404: This page could not be found.</h2>"))


def dashboard_server(
    port: int, dashboard: Dashboard, latency_seconds: float = 0.0
) -> RoutedHTTPServer:
    """Give the dashboard's server, not yet started."""
    behaviour = ServerBehaviour(
        _not_found, access_log=dashboard.log_request, latency_seconds=latency_seconds
    )
    return RoutedHTTPServer(addresses.HOST, port, dashboard.router(), behaviour)
