"""Logging filters: one line per refused request, no traceback for what is no fault."""

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """Drop the traceback of a 4xx answer (a 403's PermissionDenied, a 404's Http404).

    Django logs a refused request with the exception that refused it; that exception is the
    view doing its job, so its traceback is noise. 5xx answers keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
