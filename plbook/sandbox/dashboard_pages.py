"""The dashboard stand-in's HTML: the home page and the history pages with their client script.

The history pages are rendered in the browser, as the Next.js app renders them: the server
sends a shell with a loading state, and the script asks `/api/auth/session` for the session's
API token, then the backend's `/api/prompts` for the list (a cross-origin call, allowed by
the backend's CORS answer), and shows the list or one prompt's details.
"""

from __future__ import annotations

import html
import json
from typing import Any

LOADING_TEXT = "Loading your saved prompts…"
PLAN_LABELS = {"free": "Free Plan", "pro": "Pro Plan"}


def page(title: str, body: str, script: str = "") -> str:
    """Give a whole dashboard page: head, the header every page shows, and the body."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<link rel="icon" href="data:,"><title>{html.escape(title)}</title></head>'
        f"<body><header><h1>PromptLens Dashboard</h1></header><main>{body}</main>"
        f"{f'<script>{script}</script>' if script else ''}</body></html>"
    )


def signed_out_home(test_sign_in_url: str) -> str:
    """Give the home page of a visitor who is not signed in."""
    return page(
        "PromptLens Dashboard",
        "<p>Optimize and save your prompts.</p>"
        '<form method="post" action="/api/auth/signin/google">'
        "<button>Sign in with Google</button></form>"
        f'<p><a href="{html.escape(test_sign_in_url)}">Sign in as the sandbox test user</a></p>'
        "<p>Free Plan: 50 optimizations a month.</p>"
        '<p><a href="/history">History</a></p>',
    )


def signed_in_home(email: str, usage: dict[str, Any] | None) -> str:
    """Give the home page of a signed-in user: the plan and this month's usage."""
    if usage is None:
        account = '<p role="alert">Could not load your plan and usage. Try again shortly.</p>'
    else:
        account = (
            f'<p id="plan">{html.escape(PLAN_LABELS.get(usage["plan"], usage["plan"]))}</p>'
            f'<p id="usage">{usage["usageCount"]} of {usage["limit"]} optimizations used '
            f"this month ({usage['remaining']} left)</p>"
        )
    return page(
        "PromptLens Dashboard",
        f'<p id="signed-in">Signed in as {html.escape(email)}</p>{account}'
        '<nav><a href="/history">History</a></nav>'
        '<form method="post" action="/api/auth/signout"><button>Sign out</button></form>',
    )


def history_page(api_url: str, prompts_field: str, prompts_without_script: str) -> str:
    """Give the history shell: a loading state that the client script replaces.

    `prompts_field` is where the script looks for the list in the API's answer; a deployment
    that looks in the wrong place never leaves the loading state.
    """
    settings = json.dumps({"api": api_url, "field": prompts_field})
    return page(
        "History",
        "<h2>Saved Prompts</h2>"
        f'<p id="loading" role="status">{LOADING_TEXT}</p>'
        '<div id="history"></div>'
        f"<noscript>{prompts_without_script}</noscript>",
        f"const SETTINGS = {settings};\n{HISTORY_SCRIPT}",
    )


def prompts_list_html(prompts: list[dict[str, Any]]) -> str:
    """Give the saved prompts as a plain list, for a browser without JavaScript."""
    items = "".join(
        f"<li><time>{html.escape(p['createdAt'])}</time> "
        f"<strong>{html.escape(p['originalPrompt'])}</strong>"
        f"<p>{html.escape(p['optimizedPrompt'])}</p>"
        f"<span>{'optimized' if p.get('optimized') else 'not optimized'}</span></li>"
        for p in prompts
    )
    return f'<ul id="prompts">{items}</ul>'


HISTORY_SCRIPT = """
const root = document.getElementById("history");
const loading = document.getElementById("loading");
const promptId = location.pathname.split("/")[2] || "";

function element(tag, text, attributes) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  return node;
}

function when(iso) {
  return element("time", iso.replace("T", " ").slice(0, 19) + " UTC", {datetime: iso});
}

function optimizedFlag(prompt) {
  return element("span", prompt.optimized ? "Optimized" : "Not optimized", {class: "flag"});
}

function showList(prompts) {
  if (prompts.length === 0) {
    root.append(element("p", "No saved prompts yet."));
    return;
  }
  const list = element("ul", undefined, {id: "prompts"});
  for (const prompt of prompts) {
    const item = element("li");
    item.append(
      element("a", prompt.originalPrompt, {href: "/history/" + prompt._id}), " ",
      when(prompt.createdAt), " ", optimizedFlag(prompt));
    list.append(item);
  }
  root.append(list);
}

function showDetails(prompt) {
  if (!prompt) {
    root.append(element("p", "Prompt not found.", {role: "alert"}));
    return;
  }
  const details = element("dl", undefined, {id: "prompt-details"});
  details.append(
    element("dt", "Original prompt"), element("dd", prompt.originalPrompt),
    element("dt", "Optimized prompt"), element("dd", prompt.optimizedPrompt),
    element("dt", "Saved"), element("dd"), element("dt", "Status"), element("dd"));
  details.children[5].append(when(prompt.createdAt));
  details.children[7].append(optimizedFlag(prompt));
  root.append(element("h3", "Prompt details"), details,
              element("a", "Back to history", {href: "/history"}));
}

async function loadHistory() {
  const session = await (await fetch("/api/auth/session")).json();
  if (!session.user) {
    loading.remove();
    root.append(element("a", "Sign in to see your saved prompts", {href: "/"}));
    return;
  }
  const answer = await fetch(SETTINGS.api + "/api/prompts?limit=100",
                             {headers: {Authorization: "Bearer " + session.accessToken}});
  if (!answer.ok) throw new Error("GET /api/prompts answered " + answer.status);
  const prompts = (await answer.json())[SETTINGS.field];
  // As in the real app: no list yet means still loading.
  if (!prompts) return;
  loading.remove();
  if (promptId) showDetails(prompts.find((prompt) => prompt._id === promptId));
  else showList(prompts);
}

loadHistory().catch((error) => {
  console.error("Could not load your saved prompts:", error.message);
  loading.remove();
  root.append(element("p", "Could not load your saved prompts.", {role: "alert"}));
});
"""
