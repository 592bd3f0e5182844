"""Printable documents made from the record: the sales invoice (PDF)."""
