"""Access lists: who may use each resource, read from the Platform API and reconciled by `sync`."""
