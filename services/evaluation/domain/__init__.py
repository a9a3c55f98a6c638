"""Pure rules of the evaluation exports: facts, tables, disclosure control, the ledger.

No I/O here: the standard library, pydantic, numpy and highspy only (see
docs/evaluation-disclosure.md for the method).
"""
