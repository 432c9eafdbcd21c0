"""The /__sandbox/ admin endpoints: how the CLI stand-ins and tests change the sandbox.

They are served by the backend's server because, on the real platforms, the
deployments and variables they change belong to the backend's host.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from plbook.sandbox.faults import UnknownFaultError
from plbook.sandbox.http_server import Handler, Request, Response, Router, json_response
from plbook.sandbox.state import SERVICES, PlatformState, UnknownDeploymentError


class Sandbox(Protocol):
    """What the admin endpoints act on: the running sandbox (`plbook.sandbox.stack.Sandbox`)."""

    platform: PlatformState

    def describe(self) -> dict[str, Any]:
        """Give the sandbox's state as JSON-ready data."""

    def set_faults(self, names: Iterable[str]) -> None:
        """Inject exactly these faults."""

    def restart_service(self, service: str) -> None:
        """Restart one service of the platform."""


def _error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def add_admin_routes(router: Router, sandbox: Sandbox) -> None:
    """Register the admin endpoints, acting on `sandbox`."""
    platform = sandbox.platform

    def for_known_service(handler: Handler) -> Handler:
        def checked(request: Request) -> Response:
            if request.path_params["service"] not in SERVICES:
                return _error(
                    404,
                    f"unknown service {request.path_params['service']}; "
                    f"known: {', '.join(SERVICES)}",
                )
            return handler(request)

        return checked

    def state(request: Request) -> Response:
        return json_response(200, sandbox.describe())

    def set_faults(request: Request) -> Response:
        faults = request.json_object().get("faults")
        if not isinstance(faults, list):
            return _error(400, 'expected {"faults": [NAME, ...]}')
        try:
            sandbox.set_faults(faults)
        except UnknownFaultError as error:
            return _error(400, str(error))
        return json_response(200, sandbox.describe())

    def deployments(request: Request) -> Response:
        return json_response(
            200, {"deployments": sandbox.describe()["deployments"][request.path_params["service"]]}
        )

    def make_current(request: Request) -> Response:
        deployment_id = request.json_object().get("deployment", "")
        try:
            deployment = platform.make_current(request.path_params["service"], deployment_id)
        except UnknownDeploymentError as error:
            return _error(404, str(error))
        return json_response(
            200, {"deployment": deployment.id, "message": deployment.message, "url": deployment.url}
        )

    def restart(request: Request) -> Response:
        sandbox.restart_service(request.path_params["service"])
        return json_response(200, {"restarted": request.path_params["service"]})

    def variables(request: Request) -> Response:
        return json_response(200, {"variables": platform.variables(request.path_params["service"])})

    def set_variables(request: Request) -> Response:
        values = request.json()
        if not isinstance(values, dict) or not all(
            isinstance(value, str) for value in values.values()
        ):
            return _error(400, 'expected {"NAME": "value", ...}')
        platform.set_variables(request.path_params["service"], values)
        return json_response(200, {"variables": sorted(values)})

    def logs(request: Request) -> Response:
        since = request.query.get("since_seconds")
        return json_response(
            200,
            {
                "lines": platform.log_lines(
                    request.path_params["service"], float(since) if since else None
                )
            },
        )

    router.add("GET", "/__sandbox/state", state)
    router.add("POST", "/__sandbox/faults", set_faults)
    service_routes = [
        ("GET", "deployments", deployments),
        ("POST", "current-deployment", make_current),
        ("POST", "restart", restart),
        ("GET", "variables", variables),
        ("POST", "variables", set_variables),
        ("GET", "logs", logs),
    ]
    for method, name, handler in service_routes:
        router.add(method, f"/__sandbox/services/{{service}}/{name}", for_known_service(handler))
