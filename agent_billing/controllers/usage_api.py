"""Usage ingestion API: agent platforms POST batches of usage events with an Odoo API key.

    POST /agent_billing/api/v1/usage      Authorization: Bearer <API key>
    GET  /agent_billing/api/v1/openapi.json

Every event of a batch is accounted for: the reply counts accepted, duplicate and rejected events
and gives each rejected one its reason; accepted + duplicate + rejected == sent. Re-sending a
batch is harmless. Bad requests get a JSON error with a 4xx status, never a server error.

An event names its client by the client's billing reference (or a contract reference, or a
partner id); only clients with a contract of the key's company active on the event's day are
accepted, and any other client gets one generic reason that tells nothing about other clients.
An event is billed on the calendar day of its timestamp in the client's billing time zone (the
client's own, else the company's).
"""

import json
import logging

from odoo import _, http
from odoo.exceptions import AccessDenied, AccessError, UserError, ValidationError
from odoo.http import request
from odoo.tools import SQL

from ..models.agent_billing_usage import MAX_BATCH

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
API_PATH = "/agent_billing/api/v1/usage"


def _json_response(status, payload, headers=None):
    return request.make_json_response(payload, headers=headers, status=status)


def _error(status, message, headers=None):
    return _json_response(status, {"error": message}, headers)


class AgentBillingUsageApi(http.Controller):
    @http.route(
        API_PATH, type="http", auth="bearer", methods=["POST"], csrf=False, save_session=False
    )
    def post_usage(self, **_kwargs):
        try:
            return self._post_usage()
        except (AccessError, AccessDenied) as exc:
            return _error(403, str(exc) or _("Access denied."))

    def _post_usage(self):
        env = request.env
        env["agent.billing.usage"]._check_ingest_access()
        limited = self._rate_limited()
        if limited:
            return _error(
                429,
                _("Too many requests for this API key; retry in %(s)s s.", s=limited),
                headers=[("Retry-After", str(limited))],
            )
        body = request.httprequest.get_data(cache=False)
        if len(body) > MAX_BODY_BYTES:
            return _error(413, _("The request body exceeds %(n)s bytes.", n=MAX_BODY_BYTES))
        try:
            payload = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            return _error(400, _("The body is not valid JSON."))
        events = payload.get("events") if isinstance(payload, dict) else payload
        if not isinstance(events, list):
            return _error(400, _('Send a JSON object {"events": [...]} or a JSON list of events.'))
        if len(events) > MAX_BATCH:
            return _error(
                413,
                _(
                    "A batch holds at most %(max)s events; this one has %(n)s.",
                    max=MAX_BATCH,
                    n=len(events),
                ),
            )
        source = payload.get("source") if isinstance(payload, dict) else None
        if source is not None and (not isinstance(source, str) or "\x00" in source):
            return _error(400, _("source must be a string without NUL characters."))
        try:
            result = env["agent.billing.usage"]._ingest(events, source=source)
        except (ValidationError, UserError) as exc:
            return _error(400, str(exc))
        return _json_response(200, result)

    def _rate_limited(self):
        """Seconds to wait if this API key is over its per-minute limit, else 0.

        Counted per key (its public index) and minute in a table of its own, in a separate
        short transaction, so that concurrent requests are not serialized on the counter and a
        failed request still counts.
        """
        # an ingestion key's user reads nothing, not even its company: the caller checked it
        limit = request.env.company.sudo().agent_billing_rate_limit
        if limit <= 0:
            return 0
        # a bearer key's first 8 characters are its public index; any other credentials
        # (e.g. Basic user:password) are never stored, the user counts instead
        scheme, _sep, token = request.httprequest.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        key = (
            f"key:{token[:8]}" if scheme.lower() == "bearer" and token else f"uid:{request.env.uid}"
        )
        with request.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """INSERT INTO agent_billing_rate_window (key, window_start, hits)
                   VALUES (%s, date_trunc('minute', now() at time zone 'utc'), 1)
                   ON CONFLICT (key, window_start)
                   DO UPDATE SET hits = agent_billing_rate_window.hits + 1
                   RETURNING hits,
                             ceil(extract(epoch FROM window_start + interval '1 minute'
                                                     - now() at time zone 'utc'))""",
                    key,
                )
            )
            hits, wait = cr.fetchone()
            if hits == 1:  # first request of a minute: forget old windows
                cr.execute(
                    SQL(
                        "DELETE FROM agent_billing_rate_window "
                        "WHERE window_start < now() at time zone 'utc' - interval '1 hour'"
                    )
                )
        return max(int(wait), 1) if hits > limit else 0

    @http.route(
        "/agent_billing/api/v1/openapi.json",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def openapi(self, **_kwargs):
        return request.make_json_response(openapi_spec(request.httprequest.host_url))


CLIENT_DESCRIPTION = (
    "The client's billing reference (Billing Reference on its Billing tab, unique in the "
    "company), or the reference of one of its contracts (e.g. AGC/2025/0042); an integer is "
    "read as a partner id. The client must have a contract of the API key's company that is "
    "active on the event's billing day. Any other value is rejected with the same reason, "
    '"unknown client, or no active contract on the event\'s day", whether the reference does '
    "not exist, belongs to another company or has no active contract. The partner reference "
    "(ref) is no longer read."
)
TIMESTAMP_DESCRIPTION = (
    "ISO 8601; without an offset it is UTC. It is stored in UTC, and the event is billed on its "
    "calendar day in the client's billing time zone (the client's own, else the company's "
    "billing time zone, else the time zone of the company's address, else UTC): an event at "
    "23:30 local time on the last day of a month belongs to that month. A change of time zone "
    "applies to events recorded afterwards."
)


def openapi_spec(server_url):
    event = {
        "type": "object",
        "required": ["idempotency_key", "client", "quantity", "timestamp"],
        "properties": {
            "idempotency_key": {
                "type": "string",
                "maxLength": 255,
                "description": "Unique per company; a repeat is a duplicate.",
            },
            "client": {
                "oneOf": [{"type": "string"}, {"type": "integer"}],
                "description": CLIENT_DESCRIPTION,
            },
            "deployment": {
                "oneOf": [{"type": "integer"}, {"type": "string"}],
                "description": "Deployment id or reference (e.g. DEP/00042).",
            },
            "agent_type": {
                "oneOf": [{"type": "integer"}, {"type": "string"}],
                "description": "Agent type product id or internal reference.",
            },
            "metric": {
                "type": "string",
                "description": "Metric code, e.g. task. Default: the agent type's default metric.",
            },
            "quantity": {"type": "number", "minimum": 0},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": TIMESTAMP_DESCRIPTION,
            },
            "source": {"type": "string"},
        },
    }
    result = {
        "type": "object",
        "properties": {
            "accepted": {"type": "integer"},
            "duplicate": {"type": "integer"},
            "rejected": {"type": "integer"},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "index": {"type": "integer"},
                        "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected"]},
                        "id": {"type": "integer"},
                        "reason": {"type": "string"},
                    },
                },
            },
        },
    }
    error = {"type": "object", "properties": {"error": {"type": "string"}}}

    def error_response(description):
        return {"description": description, "content": {"application/json": {"schema": error}}}

    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Agent Billing usage ingestion",
            "version": "1.0.0",
            "description": "Report agent usage (tasks, executions, ...) for billing.\n\n"
            f"Clients: {CLIENT_DESCRIPTION}\n\n"
            f"Billing day: {TIMESTAMP_DESCRIPTION}",
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An Odoo API key of a user in the Usage Ingestion group.",
                }
            }
        },
        "security": [{"apiKey": []}],
        "paths": {
            API_PATH: {
                "post": {
                    "summary": "Report a batch of usage events",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {
                                            "type": "object",
                                            "required": ["events"],
                                            "properties": {
                                                "events": {
                                                    "type": "array",
                                                    "maxItems": MAX_BATCH,
                                                    "items": event,
                                                },
                                                "source": {"type": "string"},
                                            },
                                        },
                                        {"type": "array", "maxItems": MAX_BATCH, "items": event},
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Every event accounted for",
                            "content": {"application/json": {"schema": result}},
                        },
                        "400": error_response("Malformed request"),
                        "401": {"description": "Missing or invalid API key"},
                        "403": error_response("The key's user may not report usage"),
                        "413": error_response("Batch or body too large"),
                        "429": {
                            "description": "Rate limit exceeded; see Retry-After",
                            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                            "content": {"application/json": {"schema": error}},
                        },
                    },
                }
            }
        },
    }
