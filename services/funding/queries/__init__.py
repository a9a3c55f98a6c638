"""Funding's read use cases, each on ``db.reading()`` returning ``schemas`` models:
``positions`` (a fund's, a person's) and ``listings`` (commitments, payments, pledges,
receipts)."""
