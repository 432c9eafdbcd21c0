"""Where the sandbox listens and which fake credentials it accepts.

Every address and credential is defined here once; procedures, environments.yaml
and the CLI stand-ins all refer to these values.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

HOST = "127.0.0.1"

API_PORT = 8787
DASHBOARD_PORT = 8788
STRIPE_API_PORT = 12111
MONGODB_PORT = 27117

DATABASE_NAME = "promptlens"

STRIPE_SECRET_KEY = "sk_test_plbook_sandbox"
STRIPE_WEBHOOK_SECRET = "whsec_plbook_sandbox"
TEST_USER_TOKEN = "tok_plbook_sandbox_test_user"
TEST_USER_EMAIL = "test@example.com"
TEST_USER_NAME = "Test User"
# The sandbox's test session: NextAuth's session cookie, or the sign-in route that sets it
# (the Google callback with this code, as Google would redirect after consent).
SESSION_COOKIE = "next-auth.session-token"
TEST_SESSION_TOKEN = "session_plbook_sandbox_test_user"
TEST_SIGN_IN_CODE = "plbook-sandbox-test-user"
JWT_SECRET = "jwt_plbook_sandbox"
RAILWAY_TOKEN = "railway_plbook_sandbox"
VERCEL_TOKEN = "vercel_plbook_sandbox"

# The environment variable the CLI stand-ins read to find the admin endpoints.
SANDBOX_API_VARIABLE = "PLBOOK_SANDBOX_API"


@dataclass(frozen=True)
class SandboxPorts:
    """The loopback ports of the four sandbox servers; tests pick free ones."""

    api: int = API_PORT
    dashboard: int = DASHBOARD_PORT
    stripe_api: int = STRIPE_API_PORT
    mongodb: int = MONGODB_PORT

    @property
    def api_url(self) -> str:
        """Give the backend API's base URL."""
        return f"http://{HOST}:{self.api}"

    @property
    def dashboard_url(self) -> str:
        """Give the dashboard's base URL."""
        return f"http://{HOST}:{self.dashboard}"

    @property
    def stripe_api_base(self) -> str:
        """Give the Stripe API stand-in's base URL, as the stripe SDK's `api_base`."""
        return f"http://{HOST}:{self.stripe_api}"

    @property
    def mongodb_uri(self) -> str:
        """Give the MongoDB connection string, database included."""
        return f"mongodb://{HOST}:{self.mongodb}/{DATABASE_NAME}"

    @property
    def test_sign_in_url(self) -> str:
        """Give the dashboard route that signs the test user in and goes to the home page."""
        return f"{self.dashboard_url}/api/auth/callback/google?code={TEST_SIGN_IN_CODE}"

    @property
    def webhook_url(self) -> str:
        """Give the URL Stripe delivers webhook events to (the backend's /api/upgrade)."""
        return f"{self.api_url}/api/upgrade"


def free_ports(count: int) -> list[int]:
    """Give loopback ports free just now, for a sandbox or test server beside the default one."""
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind((HOST, 0))
    ports = [int(sock.getsockname()[1]) for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports
