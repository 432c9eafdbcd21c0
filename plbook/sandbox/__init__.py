"""A local stand-in for the PromptLens production stack, for running procedures safely.

`Sandbox` starts the backend API, the dashboard, a Stripe API stand-in and a
MongoDB wire-protocol server (nx-27017) on loopback, and can inject the faults
the runbook's troubleshooting sections describe. `bin/` holds stand-ins for the
railway, render, vercel and stripe CLIs that act on it.
"""

from plbook.sandbox.addresses import SandboxPorts
from plbook.sandbox.faults import FAULTS, UnknownFaultError
from plbook.sandbox.serve import serve_sandbox
from plbook.sandbox.stack import Sandbox

__all__ = ["FAULTS", "Sandbox", "SandboxPorts", "UnknownFaultError", "serve_sandbox"]
