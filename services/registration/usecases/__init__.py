"""Write use cases: each opens its unit of work, checks, calls the domain, writes through
``store``, emits and commits."""
