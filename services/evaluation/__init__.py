"""The evaluation service: periodic anonymized, disclosure-controlled tables (issue 14)."""
