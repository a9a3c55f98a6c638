"""Pure rules of the reintegration follow-up: the schedule, the working list, the
sustainability scores and the named errors."""
