"""What the sandbox's hosting platforms know: deployments, variables and logs.

Railway, Render and Vercel are not simulated as servers; their CLIs act on this
state through the backend's /__sandbox/ admin endpoints.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from plbook.sandbox import addresses

BACKEND = "backend"
DASHBOARD = "dashboard"
SERVICES = (BACKEND, DASHBOARD)

DAY = 86400.0


@dataclass
class Deployment:
    """One deployment of a service. `healthy` is False for a deployment that ships a bug."""

    id: str
    status: str
    created: float
    message: str
    url: str
    healthy: bool = True


def _seed_deployments(now: float) -> dict[str, list[Deployment]]:
    """Give each service's deployment history, oldest first, the last one current."""

    def vercel_url(suffix: str) -> str:
        return f"https://promptlens-dashboard-{suffix}.vercel.app"

    return {
        BACKEND: [
            Deployment(
                "9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c01",
                "REMOVED",
                now - 9 * DAY,
                "Initial Phase 1 backend",
                "https://api.promptlens.app",
            ),
            Deployment(
                "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e02",
                "SUCCESS",
                now - 4 * DAY,
                "Add quota reset middleware",
                "https://api.promptlens.app",
            ),
            Deployment(
                "8b7e6a5d-4c3b-4a29-9180-7f6e5d4c3b03",
                "FAILED",
                now - 2 * DAY,
                "Bump express to 4.19",
                "https://api.promptlens.app",
            ),
            Deployment(
                "3f2c9d1e-7b6a-4c5d-9e8f-1a2b3c4d5e04",
                "SUCCESS",
                now - 1 * DAY,
                "Fix webhook idempotency check",
                "https://api.promptlens.app",
            ),
        ],
        DASHBOARD: [
            Deployment(
                "dpl_7Hq2Lm4Np6Rs8Tu0Vw2Xy4Za",
                "READY",
                now - 6 * DAY,
                "Add history page",
                vercel_url("k3j9x2m1q"),
            ),
            Deployment(
                "dpl_3Bc5De7Fg9Hi1Jk3Lm5No7Pq",
                "ERROR",
                now - 3 * DAY,
                "Upgrade next to 14.2",
                vercel_url("p8w4z6r2t"),
            ),
            Deployment(
                "dpl_9Rs1Tu3Vw5Xy7Za9Bc1De3Fg",
                "READY",
                now - 1 * DAY,
                "Show plan in header",
                vercel_url("a7c5e3g1h"),
            ),
        ],
    }


def _seed_variables(ports: addresses.SandboxPorts) -> dict[str, dict[str, str]]:
    return {
        BACKEND: {
            "NODE_ENV": "production",
            "PORT": str(ports.api),
            "MONGODB_URI": ports.mongodb_uri,
            "STRIPE_SECRET_KEY": addresses.STRIPE_SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": addresses.STRIPE_WEBHOOK_SECRET,
            "JWT_SECRET": addresses.JWT_SECRET,
            "JWT_EXPIRES_IN": "7d",
            "CORS_ORIGIN": ports.dashboard_url,
        },
        DASHBOARD: {
            "NEXTAUTH_URL": ports.dashboard_url,
            "NEXTAUTH_SECRET": addresses.JWT_SECRET,
            "GOOGLE_CLIENT_ID": "plbook-sandbox.apps.googleusercontent.com",
            "NEXT_PUBLIC_API_BASE_URL": ports.api_url,
        },
    }


def format_timestamp(epoch_seconds: float) -> str:
    """Give an ISO 8601 UTC timestamp with milliseconds, as a Node.js backend logs it."""
    moment = datetime.fromtimestamp(epoch_seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UnknownDeploymentError(LookupError):
    """No deployment of the service has that id (or URL)."""


class PlatformState:
    """Deployments, variables and logs of the backend and the dashboard; safe across threads."""

    def __init__(self, ports: addresses.SandboxPorts) -> None:
        self._lock = threading.Lock()
        now = time.time()
        self._deployments = _seed_deployments(now)
        self._current = {service: history[-1].id for service, history in self._deployments.items()}
        self._variables = _seed_variables(ports)
        self._logs: dict[str, deque[tuple[float, str]]] = {
            service: deque(maxlen=10_000) for service in SERVICES
        }
        self.slow_api = False
        self.dashboard_stuck_loading = False
        self.quota_desync = False

    def log(self, service: str, message: str, level: str = "info") -> None:
        """Append one line to a service's log."""
        now = time.time()
        with self._lock:
            self._logs[service].append((now, f"{format_timestamp(now)} {level} {message}"))

    def log_lines(self, service: str, since_seconds: float | None = None) -> list[str]:
        """Give a service's log lines, oldest first, optionally only the last `since_seconds`."""
        cutoff = 0.0 if since_seconds is None else time.time() - since_seconds
        with self._lock:
            return [line for logged, line in self._logs[service] if logged >= cutoff]

    def variables(self, service: str) -> dict[str, str]:
        """Give a copy of a service's environment variables."""
        with self._lock:
            return dict(self._variables[service])

    def variable(self, service: str, name: str) -> str:
        """Give one variable's value, or "" when it is not set."""
        with self._lock:
            return self._variables[service].get(name, "")

    def set_variables(self, service: str, values: dict[str, str]) -> None:
        """Set variables; the platforms redeploy on a change, so they apply at once."""
        with self._lock:
            self._variables[service].update(values)
        self.log(service, f"Variables updated: {', '.join(sorted(values))}; service redeployed")

    def deployments(self, service: str) -> list[Deployment]:
        """Give a service's deployments, newest first."""
        with self._lock:
            return list(reversed(self._deployments[service]))

    def current_deployment(self, service: str) -> Deployment:
        """Give the deployment a service is running."""
        with self._lock:
            return self._find(service, self._current[service])

    def _find(self, service: str, id_or_url: str) -> Deployment:
        wanted = id_or_url.removeprefix("https://").rstrip("/")
        for deployment in self._deployments[service]:
            if wanted in (deployment.id, deployment.url.removeprefix("https://")):
                return deployment
        raise UnknownDeploymentError(f"no {service} deployment {id_or_url}")

    def make_current(self, service: str, id_or_url: str) -> Deployment:
        """Make a deployment current (a rollback or a promotion) and give it."""
        with self._lock:
            deployment = self._find(service, id_or_url)
            if deployment.status in ("FAILED", "ERROR"):
                raise UnknownDeploymentError(
                    f"{service} deployment {deployment.id} failed to build "
                    "and cannot be made current"
                )
            self._current[service] = deployment.id
        self.log(service, f"Deployment {deployment.id} is now live ({deployment.message})")
        return deployment

    def ship_bad_deployment(self, service: str) -> Deployment:
        """Deploy a new version that builds fine but is broken, and give it."""
        ready = "SUCCESS" if service == BACKEND else "READY"
        if service == BACKEND:
            id_, url, message = (
                str(uuid.uuid4()),
                "https://api.promptlens.app",
                "Refactor auth middleware",
            )
        else:
            suffix = uuid.uuid4().hex[:9]
            id_ = f"dpl_{uuid.uuid4().hex[:24]}"
            url = f"https://promptlens-dashboard-{suffix}.vercel.app"
            message = "Move session handling to middleware"
        deployment = Deployment(id_, ready, time.time(), message, url, healthy=False)
        with self._lock:
            self._deployments[service].append(deployment)
            self._current[service] = deployment.id
        self.log(service, f"Deployment {deployment.id} is now live ({message})")
        return deployment

    def roll_back_to_last_healthy(self, service: str) -> None:
        """Make the newest healthy, built deployment current."""
        for deployment in self.deployments(service):
            if deployment.healthy and deployment.status not in ("FAILED", "ERROR"):
                self.make_current(service, deployment.id)
                return

    def describe(self) -> dict[str, object]:
        """Give the platforms' state as JSON-ready data for the admin endpoint."""
        with self._lock:
            current = dict(self._current)
            deployments = {
                service: [
                    {
                        **asdict(d),
                        "created": format_timestamp(d.created),
                        "current": d.id == current[service],
                    }
                    for d in reversed(history)
                ]
                for service, history in self._deployments.items()
            }
            variables = {service: dict(values) for service, values in self._variables.items()}
        return {"deployments": deployments, "variables": variables}
