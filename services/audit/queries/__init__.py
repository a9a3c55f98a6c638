"""Read use cases of the audit service on ``db.reading()``, returning ``schemas`` models:
``events`` (the log), ``stages`` (cases by stage), ``money``, ``cap``, ``checkpoints`` and the
half-year ``summary``. Never personal data."""
