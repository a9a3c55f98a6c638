"""Every service this build runs, in start-up order."""

from __future__ import annotations

from services.kit.definition import ServiceDef


def all_services() -> list[ServiceDef]:
    from privacy.service import SERVICE as privacy
    from services.api.service import SERVICE as api
    from services.audit.service import SERVICE as audit
    from services.evaluation.service import SERVICE as evaluation
    from services.funding.service import SERVICE as funding
    from services.registration.service import SERVICE as registration
    from services.reintegration.service import SERVICE as reintegration

    return [privacy, api, registration, funding, reintegration, audit, evaluation]


def service_names() -> list[str]:
    return [s.name for s in all_services()]
