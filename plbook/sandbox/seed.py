"""The PromptLens data the sandbox starts with, and the indexes the runbook requires."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from plbook.sandbox import addresses
from plbook.sandbox.product import PLAN_LIMITS, QUOTA_PERIOD, optimize_prompt
from plbook.sandbox.stripe_store import StripeAccount

if TYPE_CHECKING:
    from pymongo.database import Database

# The runbook asks for a TTL index on webhook events; 30 days keeps a month of replays detectable.
WEBHOOK_EVENT_TTL_SECONDS = 2_592_000

TEST_USER_ID = ObjectId("65f0a1b2c3d4e5f601234567")
PRO_USER_EMAIL = "pro@example.com"
# Marks the users the quota-desync fault adds, so turning the fault off removes exactly them.
DESYNC_EMAIL_DOMAIN = "@desync.example.com"


def create_indexes(db: Database[dict[str, Any]]) -> None:
    """Create the indexes of the runbook's pre-deployment checklist."""
    db.users.create_index([("email", 1)], unique=True)
    db.users.create_index([("stripeCustomerId", 1)])
    db.webhookevents.create_index([("eventId", 1)], unique=True)
    db.webhookevents.create_index([("createdAt", 1)], expireAfterSeconds=WEBHOOK_EVENT_TTL_SECONDS)
    db.prompts.create_index([("userId", 1), ("createdAt", -1)])


def _user(
    email: str, name: str, plan: str, usage_count: int, now: datetime, **extra: Any
) -> dict[str, Any]:
    last_reset = now - timedelta(days=1)
    return {
        "email": email,
        "name": name,
        "plan": plan,
        "usageCount": usage_count,
        "limit": PLAN_LIMITS[plan],
        "lastResetAt": last_reset,
        "nextResetAt": last_reset + QUOTA_PERIOD,
        "createdAt": now - timedelta(days=20),
        **extra,
    }


def seed_database(db: Database[dict[str, Any]], stripe: StripeAccount) -> None:
    """Insert the users and prompts the smoke tests expect, with their Stripe side."""
    now = datetime.now(timezone.utc)
    pro_customer = stripe.create_customer(PRO_USER_EMAIL, "Priya Pro")
    pro_subscription = stripe.create_subscription(pro_customer["id"])
    db.users.insert_many(
        [
            _user(
                addresses.TEST_USER_EMAIL,
                addresses.TEST_USER_NAME,
                "free",
                0,
                now,
                _id=TEST_USER_ID,
                apiToken=addresses.TEST_USER_TOKEN,
                googleId="google-oauth2|100000000000000000001",
            ),
            _user(
                PRO_USER_EMAIL,
                "Priya Pro",
                "pro",
                212,
                now,
                apiToken="tok_plbook_sandbox_pro_user",
                stripeCustomerId=pro_customer["id"],
                stripeSubscriptionId=pro_subscription["id"],
            ),
            _user(
                "alice@example.com",
                "Alice Example",
                "free",
                12,
                now,
                apiToken="tok_plbook_sandbox_alice",
            ),
        ]
    )
    db.prompts.insert_many(
        [
            {
                # A string, as the runbook queries it (`{userId: 'USER_ID'}`); nx-27017 0.8.1 also
                # finds no documents when filtering a non-_id field by ObjectId.
                "userId": str(TEST_USER_ID),
                "originalPrompt": original,
                "optimizedPrompt": optimize_prompt(original),
                "optimized": True,
                "createdAt": now - timedelta(hours=hours_ago),
            }
            for original, hours_ago in [
                ("write a haiku about deployments", 30),
                ("summarize this incident report for customers", 6),
            ]
        ]
    )


def add_quota_desync(db: Database[dict[str, Any]], stripe: StripeAccount) -> None:
    """Add users whose quota data disagrees with their plan or with Stripe."""
    now = datetime.now(timezone.utc)
    canceled_customer = stripe.create_customer(f"lapsed{DESYNC_EMAIL_DOMAIN}", "Lapsed Pro")
    canceled = stripe.create_subscription(canceled_customer["id"], status="canceled")
    db.users.insert_many(
        [
            _user(f"overquota{DESYNC_EMAIL_DOMAIN}", "Over Quota", "free", 73, now),
            _user(f"overquota2{DESYNC_EMAIL_DOMAIN}", "Over Quota Too", "free", 51, now),
            _user(
                f"lapsed{DESYNC_EMAIL_DOMAIN}",
                "Lapsed Pro",
                "pro",
                4,
                now,
                stripeCustomerId=canceled_customer["id"],
                stripeSubscriptionId=canceled["id"],
            ),
        ]
    )


def remove_quota_desync(db: Database[dict[str, Any]]) -> None:
    """Remove the users add_quota_desync added."""
    db.users.delete_many({"email": {"$regex": f"{DESYNC_EMAIL_DOMAIN.replace('.', '[.]')}$"}})
