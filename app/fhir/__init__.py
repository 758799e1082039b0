"""A read-mostly HL7 FHIR R4 (4.0.1) facade at `/fhir/R4`, built on `fhir.resources` (R4B models).

One module per resource mapping turns Meridian's domain into FHIR resources with plain functions
(`read_*`, `search_*`) over a `Context`; `views` is the only Flask-facing module. Who sees what, and
what is audited, is decided by the same domain code as `/api/v1`. docs/fhir.md lists the mappings.
"""
from flask import Blueprint

fhir = Blueprint("fhir", __name__, url_prefix="/fhir/R4")
