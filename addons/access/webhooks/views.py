"""The add-on webhook receiver: `POST /heroku/webhooks/<subscription>`."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from addons.access.webhooks.receiver import DeliveryRefused, receive_delivery

logger = logging.getLogger(__name__)


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"id": "refused", "message": message}, status=status)


@csrf_exempt
@require_POST
def receive_webhook(request, public_id):
    """Check one delivery, record it, queue its work and answer 204; refuse anything else."""
    content_type = request.content_type or ""
    if content_type != "application/json":
        return _refuse(415, "Content-Type must be application/json.")
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _refuse(400, "Content-Length is not a number.")
    if length > settings.WEBHOOK_MAX_BODY:
        return _refuse(413, f"A delivery may be at most {settings.WEBHOOK_MAX_BODY} bytes.")
    body = request.body
    if len(body) > settings.WEBHOOK_MAX_BODY:
        return _refuse(413, f"A delivery may be at most {settings.WEBHOOK_MAX_BODY} bytes.")
    try:
        receive_delivery(public_id=public_id, headers=request.headers, body=body)
    except DeliveryRefused as refusal:
        logger.warning("webhook delivery refused (%s): %s", refusal.status, refusal)
        return _refuse(refusal.status, str(refusal))
    return HttpResponse(status=204)
