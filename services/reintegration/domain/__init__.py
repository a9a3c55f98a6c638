"""Pure rules of the reintegration follow-up: the schedule and the sustainability scores."""
