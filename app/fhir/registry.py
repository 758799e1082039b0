"""Every resource type the facade serves: how to read it, search it, and what it declares.

The CapabilityStatement is built from this table, so it cannot drift from the routes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from app.fhir import (appointment, care_plan, consent, healthcare_service, organization, practitioner,
                      schedule, service_request)
from app.fhir.search import SearchParam


@dataclass(frozen=True)
class ResourceType:
    name: str
    read: Callable
    search: Callable
    params: tuple[SearchParam, ...]
    documentation: str
    creatable: bool = False


RESOURCE_TYPES: dict[str, ResourceType] = {rt.name: rt for rt in (
    ResourceType("Organization", organization.read, organization.search, organization.PARAMS,
                 "A site of the network, with its country"),
    ResourceType("Practitioner", practitioner.read_practitioner, practitioner.search_practitioners,
                 practitioner.PRACTITIONER_PARAMS,
                 "A person of the network: languages as communication, verified licences as qualification"),
    ResourceType("PractitionerRole", practitioner.read_role, practitioner.search_roles, practitioner.ROLE_PARAMS,
                 "A specialist's disciplines (specialty) at their organisation"),
    ResourceType("HealthcareService", healthcare_service.read, healthcare_service.search,
                 healthcare_service.PARAMS, "An MDT board: its quorum disciplines and meeting time"),
    ResourceType("Schedule", schedule.read_schedule, schedule.search_schedules, schedule.SCHEDULE_PARAMS,
                 "One per specialist"),
    ResourceType("Slot", schedule.read_slot, schedule.search_slots, schedule.SLOT_PARAMS,
                 "Free time from the matching engine; busy time for bookings"),
    ResourceType("Appointment", appointment.read, appointment.search, appointment.PARAMS,
                 "A meeting, its invitees and its board"),
    ResourceType("ServiceRequest", service_request.read, service_request.search, service_request.PARAMS,
                 "A case (referral) at your access level; POST one to start a draft case",
                 creatable=True),
    ResourceType("Consent", consent.read, consent.search, consent.PARAMS,
                 "A case's cross-border discussion consent (full access only)"),
    ResourceType("CarePlan", care_plan.read_care_plan, care_plan.search_care_plans, care_plan.CARE_PLAN_PARAMS,
                 "A signed MDT outcome (full access only); an amendment replaces the version before"),
    ResourceType("Provenance", care_plan.read_provenance, care_plan.search_provenance,
                 care_plan.PROVENANCE_PARAMS, "One signature of a signed outcome"),
)}
