"""Write use cases of the evaluation service."""

from services.evaluation.usecases.exporting import create_export, run_schedule

__all__ = ["create_export", "run_schedule"]
