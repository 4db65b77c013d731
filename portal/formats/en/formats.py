"""The portal's one date format, for its pages and the admin alike (FORMAT_MODULE_PATH).

Dates read the same everywhere, and sort as text: 2026-11-30 14:05 (UTC, the TIME_ZONE).
Templates write `{{ value|date:"DATETIME_FORMAT" }}` (or DATE_FORMAT) rather than a pattern
of their own.
"""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
