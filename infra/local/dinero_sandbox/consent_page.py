"""Visma Connect's consent page, for a browser: the user's Dinero organizations with Accept and Cancel.

A browser (it asks for text/html) that has not decided yet gets the page; its buttons send the same authorize
request again with `sandbox_consent=allow|deny`, which the automatic path answers. Clients that are not browsers,
and requests that carry `sandbox_consent` already, never see it, so tests without a browser consent at once.
"""

import html

from infra.local.dinero_sandbox.messages import Response, SandboxRequest, text_response
from infra.local.dinero_sandbox.state import SandboxState

DECISION = "sandbox_consent"

_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; background: #eef1f5; color: #1b2430; margin: 0; }
main { max-width: 32rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px;
       box-shadow: 0 1px 4px rgba(0, 0, 0, .15); }
h1 { font-size: 1.3rem; margin-top: 0; }
.vendor { color: #5a6472; font-size: .9rem; margin: 0 0 1rem; }
ul { padding-left: 1.2rem; }
.actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
button { font: inherit; padding: .5rem 1.25rem; border-radius: 4px; border: 1px solid #1b5fa8; cursor: pointer; }
button[value=allow] { background: #1b5fa8; color: #fff; }
button[value=deny] { background: #fff; color: #1b5fa8; }
button:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
"""


def wanted(request: SandboxRequest) -> bool:
    """A browser asking, and no decision in the request yet."""
    return DECISION not in request.query and "text/html" in request.headers.get("accept", "")


def render(state: SandboxState, user: str, request: SandboxRequest) -> Response:
    organizations = sorted(
        (organization for organization in state.organizations.values() if organization.owner == user),
        key=lambda organization: organization.id,
    )
    items = "\n".join(
        f"<li>{html.escape(organization.name)} ({organization.id})"
        f"{'' if organization.is_pro else ', without Dinero Pro'}</li>"
        for organization in organizations
    )
    # The request's own parameters go back unchanged, plus the decision of the button that was pressed.
    hidden = "\n".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in request.query.items()
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Visma Connect (sandbox): allow access to Dinero</title>
<style>{_STYLE}</style></head>
<body><main>
<p class="vendor">Visma Connect &middot; Dinero sandbox</p>
<h1>Allow the application to use Dinero?</h1>
<p>Signed in as <strong>{html.escape(user)}</strong>. The application asks to read and write the data of your
Dinero organizations, also when you are not signed in:</p>
<ul>
{items}
</ul>
<form method="get" action="/connect/authorize">
{hidden}
<div class="actions">
<button type="submit" name="{DECISION}" value="allow">Accept</button>
<button type="submit" name="{DECISION}" value="deny">Cancel</button>
</div>
</form>
</main></body></html>
"""
    return text_response(200, page, "text/html; charset=utf-8")
