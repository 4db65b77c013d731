"""The base of every error the add-on services raise; each area has its own."""


class AddonsError(Exception):
    """A rule about add-ons and their resources was broken."""
