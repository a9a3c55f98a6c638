"""Read use cases on ``db.reading()``, returning ``schemas`` models."""
