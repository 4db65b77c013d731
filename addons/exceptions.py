"""Errors raised by the add-on services."""


class AddonsError(Exception):
    """A rule about add-ons and their resources was broken."""
