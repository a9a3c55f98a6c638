"""Funding's write use cases. ``verb(rt, principal, ...)`` opens the unit of work, checks,
calls the domain, writes through ``store``, emits and commits: ``funds`` (funds, pledges,
receipts), ``casework`` (commitment requests, payments), ``reversing`` (reversals). Their
steps inside an open unit of work, and the steps the event handlers run in the runner's unit
of work, are beside them: ``committing`` (decide and release commitments under the locks) and
``cases`` (what registration's events do to a case)."""
