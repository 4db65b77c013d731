"""An add-on's settings: its manifest (validated by `validators` on every path), its secrets,
marketing and billing, and its plans."""
