"""The CapabilityStatement: what this server does, built from the registry."""
from __future__ import annotations

from datetime import datetime

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from app.fhir.codes import FHIR_VERSION, MEDIA_TYPE
from app.fhir.common import build, instant
from app.fhir.registry import RESOURCE_TYPES
from app.fhir.search import SearchParam

COMMON_PARAMS = (
    SearchParam("_count", "number", "Page size, 0 to 100 (default 20; 0 gives only the total)"),
)


def capability_statement(base_url: str, at: datetime) -> CapabilityStatement:
    resources = []
    for resource_type in RESOURCE_TYPES.values():
        interactions = [{"code": "read"}, {"code": "search-type"}]
        if resource_type.creatable:
            interactions.append({"code": "create"})
        resources.append({
            "type": resource_type.name,
            "documentation": resource_type.documentation,
            "interaction": interactions,
            "searchParam": [{"name": p.name, "type": p.type, "documentation": p.documentation}
                            for p in resource_type.params + COMMON_PARAMS],
        })
    return build(CapabilityStatement, {
        "status": "active",
        "date": instant(at),
        "publisher": "Meridian",
        "kind": "instance",
        "software": {"name": "Meridian"},
        "implementation": {"description": "Meridian MDT boards: a read-mostly FHIR R4 facade", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": [MEDIA_TYPE, "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Unknown search parameters are ignored and reported in an OperationOutcome "
                             "entry (send 'Prefer: handling=strict' to have them refused). Pages follow "
                             "the Bundle's next link.",
            "security": {
                "cors": False,
                "description": "Send 'Authorization: Bearer <token>' with a token from POST "
                               "/api/v1/auth/token; you see exactly what the API shows you, and every "
                               "read of patient data is audited.",
            },
            "resource": resources,
            "interaction": [{"code": "transaction",
                             "documentation": "A ServiceRequest with its Consent, as one new draft case"}],
        }],
    })
