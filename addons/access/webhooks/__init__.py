"""Add-on webhooks: Heroku tells the portal when a resource's collaborators, app or add-on change.

`subscriptions` subscribes each resource with its own token (and removes the subscription on
de-provisioning); `receiver` checks and records each delivery (constant-time, de-duplicated) and
removes a destroyed collaborator at once; `events` re-fetches the resource's list through the
sync's safe path. The schedule stays the backstop: team membership has no webhook, and a
resource whose subscription failed is kept fresh by the schedule alone.
"""
