"""Access lists: who may use each resource, read from the Platform API and reconciled by `sync`.

`sync` runs a sync (the services); `claims` chooses and claims the resources, `fetch` reads their
lists in worker threads (HTTP only), `apply` writes the results (the one writer, with `rows`);
`outcomes` says what happened. `selectors` reads the stored lists; `tasks` runs syncs in django-q2.
"""
