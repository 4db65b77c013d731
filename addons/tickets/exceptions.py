"""Errors of the ticket services and the intake API."""

from addons.exceptions import AddonsError


class TicketError(AddonsError):
    """A rule about support tickets was broken."""


class ResourceNotOfAddonError(TicketError):
    """A ticket's resource must be an installation of the ticket's add-on."""

    def __init__(self):
        super().__init__("That resource does not belong to this add-on.")


class EmptyMessageError(TicketError):
    """A reply or note needs some text."""

    def __init__(self):
        super().__init__("Write a message first.")


class TicketClosedError(TicketError):
    """A closed ticket is final: nothing more may be added to it."""

    def __init__(self):
        super().__init__("This ticket is closed; open a new ticket instead.")


class AlreadyEscalatedError(TicketError):
    """A ticket is escalated to the add-on's support queue only once."""

    def __init__(self):
        super().__init__("This ticket is already in the add-on's support queue.")


class TicketAssigneeError(TicketError):
    """A ticket is assigned only to a user of its company who handles support tickets."""

    def __init__(self, email: str):
        super().__init__(f"{email} is not a user of this company who handles support tickets.")


class NothingChangedError(TicketError):
    """The requested value is the one the ticket already has."""


class IntakeError(AddonsError):
    """A request to the ticket intake API was refused; `status` is the HTTP status to answer."""

    def __init__(self, message: str, *, status: int):
        self.status = status
        super().__init__(message)
