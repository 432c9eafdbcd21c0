"""The whole sandbox: starts the four servers, injects faults, and stops everything."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from plbook.sandbox import addresses
from plbook.sandbox.addresses import SandboxPorts
from plbook.sandbox.faults import check_fault_names
from plbook.sandbox.mongo_server import MongoServer, MongoServerError
from plbook.sandbox.ports import check_ports_free
from plbook.sandbox.state import BACKEND, DASHBOARD, PlatformState

if TYPE_CHECKING:
    import pymongo

    from plbook.sandbox.backend import Backend
    from plbook.sandbox.http_server import RoutedHTTPServer
    from plbook.sandbox.stripe_store import StripeAccount

BIN_DIR = Path(__file__).parent / "bin"


class Sandbox:
    """The PromptLens stand-in stack on loopback; a context manager that starts and stops it.

    `with Sandbox(faults=["db-down"]) as sb:` returns once every server answers.
    pymongo and stripe are imported only here at start, so importing
    `plbook.sandbox` stays cheap for the CLI.
    """

    bin_dir: Path = BIN_DIR

    def __init__(
        self,
        faults: Iterable[str] = (),
        ports: SandboxPorts | None = None,
        state_dir: Path | str | None = None,
        latency_ms: int = 0,
    ) -> None:
        self.ports = ports or SandboxPorts()
        if latency_ms < 0:
            raise ValueError(f"latency_ms must be 0 or more, not {latency_ms}")
        self.latency_ms = latency_ms
        self._initial_faults = check_fault_names(faults)
        self._given_state_dir = Path(state_dir) if state_dir is not None else None
        self._state_dir: Path | None = None
        self._keep_state = False
        self.platform = PlatformState(self.ports)
        self._fault_lock = threading.Lock()
        self._servers: list[RoutedHTTPServer] = []
        self._mongo: MongoServer | None = None
        self._stripe: StripeAccount | None = None
        self._backend: Backend | None = None
        self._admin_client: pymongo.MongoClient[dict[str, Any]] | None = None

    @property
    def api_url(self) -> str:
        """Give the backend API's base URL."""
        return self.ports.api_url

    @property
    def dashboard_url(self) -> str:
        """Give the dashboard's base URL."""
        return self.ports.dashboard_url

    @property
    def stripe_api_base(self) -> str:
        """Give the Stripe API stand-in's base URL."""
        return self.ports.stripe_api_base

    @property
    def mongodb_uri(self) -> str:
        """Give the MongoDB connection string, database included."""
        return self.ports.mongodb_uri

    def cli_environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Give environment variables for running the CLI stand-ins, on top of `base`."""
        environment = dict(os.environ if base is None else base)
        environment["PATH"] = os.pathsep.join([str(self.bin_dir), environment.get("PATH", "")])
        environment[addresses.SANDBOX_API_VARIABLE] = self.api_url
        environment["STRIPE_API_BASE"] = self.stripe_api_base
        environment["STRIPE_SECRET_KEY"] = addresses.STRIPE_SECRET_KEY
        return environment

    def start(self) -> None:
        """Start every server, seed fresh data, apply the faults; return once all answer."""
        try:
            self._start()
        except MongoServerError:
            # The message names nx-27017's log: keep it for the reader.
            self._keep_state = True
            self.stop()
            raise
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        from plbook.sandbox.admin_api import add_admin_routes
        from plbook.sandbox.backend import Backend, backend_bad_request, backend_not_found
        from plbook.sandbox.dashboard import Dashboard, dashboard_server
        from plbook.sandbox.http_server import RoutedHTTPServer, Router, ServerBehaviour
        from plbook.sandbox.seed import create_indexes, seed_database
        from plbook.sandbox.stripe_api import stripe_api_server
        from plbook.sandbox.stripe_store import StripeAccount

        # A taken port is named before anything starts, rather than found half-way up.
        check_ports_free(self.ports)
        self._state_dir = self._given_state_dir or Path(tempfile.mkdtemp(prefix="plbook-sandbox-"))
        self._state_dir.mkdir(parents=True, exist_ok=True)
        self._stripe = StripeAccount(self.ports)
        self._backend = backend = Backend(self.platform, self.ports)
        api_router = Router()
        backend.add_routes(api_router)
        add_admin_routes(api_router, self)
        latency = self.latency_ms / 1000
        api_behaviour = ServerBehaviour(
            backend_not_found,
            bad_request=backend_bad_request,
            access_log=backend.log_request,
            latency_seconds=latency,
        )
        # Bind every port before starting anything, so a taken port fails fast and cleanly.
        self._servers = [
            RoutedHTTPServer(addresses.HOST, self.ports.api, api_router, api_behaviour),
            dashboard_server(self.ports.dashboard, Dashboard(self.platform, self.ports), latency),
            stripe_api_server(self.ports.stripe_api, self._stripe, latency),
        ]
        self._mongo = MongoServer(self.ports.mongodb, self._state_dir)
        self._mongo.wipe()
        self._mongo.start()
        self._connect_admin_client()
        assert self._admin_client is not None
        database = self._admin_client.get_default_database()
        create_indexes(database)
        seed_database(database, self._stripe)
        for server in self._servers:
            server.start()
        backend.log_startup()
        self.platform.log(
            DASHBOARD,
            f"Ready: {self.dashboard_url} ({self.platform.current_deployment(DASHBOARD).url})",
        )
        self.set_faults(self._initial_faults)

    def _connect_admin_client(self) -> None:
        import pymongo

        if self._admin_client is not None:
            self._admin_client.close()
        self._admin_client = pymongo.MongoClient(
            self.mongodb_uri, serverSelectionTimeoutMS=5000, tz_aware=True
        )

    @property
    def faults(self) -> list[str]:
        """Give the faults in effect now, read from the state they change."""
        active = {
            "db-down": self._mongo is not None and not self._mongo.running,
            "slow-api": self.platform.slow_api,
            "bad-webhook-secret": self.platform.variable(BACKEND, "STRIPE_WEBHOOK_SECRET")
            != addresses.STRIPE_WEBHOOK_SECRET,
            "quota-desync": self.platform.quota_desync,
            "bad-deploy": not self.platform.current_deployment(BACKEND).healthy,
            "bad-dashboard-deploy": not self.platform.current_deployment(DASHBOARD).healthy,
            "dashboard-stuck-loading": self.platform.dashboard_stuck_loading,
        }
        return check_fault_names(name for name, on in active.items() if on)

    def set_faults(self, faults: Iterable[str]) -> None:
        """Make exactly these faults be in effect, turning others off."""
        from plbook.sandbox.seed import add_quota_desync, remove_quota_desync

        wanted = set(check_fault_names(faults))
        assert (
            self._mongo is not None and self._stripe is not None and self._admin_client is not None
        )
        with self._fault_lock:
            active = set(self.faults)
            # The database must be up while the data faults are changed; it goes down last.
            if "db-down" in active - wanted:
                self._mongo.start()
                # Pooled connections point at the stopped process; drop them rather than
                # let the first request after the outage fail on one.
                self._connect_admin_client()
                if self._backend is not None:
                    self._backend.close()
            database = self._admin_client.get_default_database()
            if "quota-desync" in wanted - active:
                add_quota_desync(database, self._stripe)
            if "quota-desync" in active - wanted:
                remove_quota_desync(database)
            self.platform.quota_desync = "quota-desync" in wanted
            self.platform.slow_api = "slow-api" in wanted
            self.platform.dashboard_stuck_loading = "dashboard-stuck-loading" in wanted
            if ("bad-webhook-secret" in wanted) != ("bad-webhook-secret" in active):
                secret = (
                    "whsec_plbook_sandbox_rotated"
                    if "bad-webhook-secret" in wanted
                    else addresses.STRIPE_WEBHOOK_SECRET
                )
                self.platform.set_variables(BACKEND, {"STRIPE_WEBHOOK_SECRET": secret})
            for fault, service in (("bad-deploy", BACKEND), ("bad-dashboard-deploy", DASHBOARD)):
                if fault in wanted - active:
                    self.platform.ship_bad_deployment(service)
                if fault in active - wanted:
                    self.platform.roll_back_to_last_healthy(service)
            if "db-down" in wanted:
                self._mongo.stop()

    def restart_service(self, service: str) -> None:
        """Restart a service, as `railway restart` does: it reconnects and logs its startup."""
        if service == BACKEND and self._backend is not None:
            self._backend.restart()
        else:
            self.platform.log(service, "Restarted")

    def describe(self) -> dict[str, Any]:
        """Give the sandbox's addresses, faults and platform state as JSON-ready data."""
        return {
            "addresses": {
                "api": self.api_url,
                "dashboard": self.dashboard_url,
                "stripe_api": self.stripe_api_base,
                "mongodb": self.mongodb_uri,
            },
            "faults": self.faults,
            "latency_ms": self.latency_ms,
            **self.platform.describe(),
        }

    def stop(self) -> None:
        """Stop every server and child process, free the ports, and delete temporary files."""
        if self._stripe is not None:
            self._stripe.stop()
        for server in self._servers:
            server.stop()
        self._servers = []
        if self._backend is not None:
            self._backend.close()
        if self._admin_client is not None:
            self._admin_client.close()
            self._admin_client = None
        if self._mongo is not None:
            self._mongo.stop()
        if self._state_dir is not None and self._given_state_dir is None and not self._keep_state:
            shutil.rmtree(self._state_dir, ignore_errors=True)
        self._state_dir = None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
