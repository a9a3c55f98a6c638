"""Write and verify use cases of the audit log: ``verify`` (the log, a kept checkpoint),
``checkpoints`` (sign, the periodic job), ``keys`` (the signing key), ``broker`` (what the
broker holds, for the cross-check)."""
