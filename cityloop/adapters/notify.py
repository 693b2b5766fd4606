"""Notification senders: webhooks over HTTP (SMS and e-mail gateways plug in the same way)."""

from __future__ import annotations

import urllib.request

import orjson

from cityloop.services.ports import Notification


class WebhookSender:
    """POSTs each notification as JSON to its recipient URL; a non-2xx answer is a failure."""

    def __init__(self, timeout_s: float = 5.0) -> None:
        self.timeout_s = timeout_s

    def __call__(self, n: Notification) -> None:
        body = orjson.dumps(
            {
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "event_id": n.event_id,
                "recipient_kind": "inbox",
                "district": n.district_code,
                "street": n.street_code,
                "link": n.link,
                "created_at": n.created_at.isoformat(),
            }
        )
        request = urllib.request.Request(
            n.recipient, data=body, headers={"content-type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook answered {response.status}")
