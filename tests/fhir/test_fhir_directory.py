"""Sites, people, specialists' roles and boards: valid resources, references that resolve, searches
that page and filter, and only the people the API would show."""
from __future__ import annotations

from app.fhir.codes import DISCIPLINE_SYSTEM, EXT_TIMEZONE, ISO_COUNTRY_SYSTEM, LANGUAGE_SYSTEM


def test_organizations_page_with_a_total_and_next_links(fhir, network, make_org):
    for number in range(5):
        make_org(f"Site {number}", "KZ", "Asia/Almaty", "kz")
    everyone, first = fhir.search_all("Organization", network.referrer, params={"_count": 2})
    assert first["total"] == 8 and len(first["entry"]) == 2
    assert len(everyone) == 8 and len({o["id"] for o in everyone}) == 8
    assert [int(o["id"]) for o in everyone] == sorted(int(o["id"]) for o in everyone)
    only_total = fhir.get("Organization", network.referrer, params={"_count": 0})
    assert only_total["total"] == 8 and "entry" not in only_total


def test_organization_carries_its_country_and_filters_by_name(fhir, network):
    bundle = fhir.get("Organization", network.referrer, params={"name": "nairobi"})
    assert bundle["total"] == 1
    site = bundle["entry"][0]["resource"]
    assert site["name"] == network.foreign_site.name and site["address"] == [{"country": "KE"}]
    assert fhir.get(f"Organization/{site['id']}", network.referrer)["name"] == site["name"]
    assert fhir.get("Organization", network.referrer, params={"_id": f"{network.hub.id},{network.other_site.id}"})[
        "total"] == 2


def test_practitioner_shows_languages_and_verified_licences_with_period_and_issuer(fhir, network):
    person = fhir.get(f"Practitioner/{network.radiologist.id}", network.referrer)
    assert person["name"] == [{"text": "Dr Kamau"}]
    assert [c["coding"][0] for c in person["communication"]] == [
        {"system": LANGUAGE_SYSTEM, "code": "en"}, {"system": LANGUAGE_SYSTEM, "code": "sw"}]
    (licence,) = person["qualification"]
    assert licence["issuer"]["identifier"] == {"system": ISO_COUNTRY_SYSTEM, "value": "CN"}
    assert licence["period"]["end"] == "2028-01-31"
    assert "email" not in str(person) and network.radiologist.email not in str(person)


def test_practitioner_role_has_disciplines_as_specialty_and_its_references_resolve(fhir, network):
    role = fhir.get(f"PractitionerRole/{network.radiologist.id}", network.referrer)
    assert role["specialty"][0]["coding"][0] == {"system": DISCIPLINE_SYSTEM, "code": "radiology",
                                                 "display": "Radiology"}
    assert fhir.resolve(role["practitioner"], network.referrer)["id"] == str(network.radiologist.id)
    assert fhir.resolve(role["organization"], network.referrer)["name"] == network.foreign_site.name
    found = fhir.get("PractitionerRole", network.referrer, params={"specialty": f"{DISCIPLINE_SYSTEM}|pathology"})
    assert [e["resource"]["id"] for e in found["entry"]] == [str(network.pathologist.id)]
    by_site = fhir.get("PractitionerRole", network.referrer, params={"organization": f"Organization/{network.hub.id}"})
    assert by_site["total"] == 0
    # Someone with no specialist profile has no role.
    fhir.get(f"PractitionerRole/{network.referrer.id}", network.referrer, status=404)


def test_practitioners_are_those_the_api_shows(fhir, network):
    # A referrer sees themselves, specialists and board members, not another site's referrer.
    seen = {p["id"] for p in fhir.search_all("Practitioner", network.referrer)[0]}
    assert {str(network.referrer.id), str(network.radiologist.id), str(network.coordinator.id)} <= seen
    assert str(network.other_site_referrer.id) not in seen and str(network.admin.id) not in seen
    fhir.get(f"Practitioner/{network.other_site_referrer.id}", network.referrer, status=404)
    # A coordinator, who may list users in the API, sees everyone.
    assert fhir.get("Practitioner", network.coordinator, params={"_count": 0})["total"] == 8


def test_board_is_a_healthcare_service_with_its_disciplines_and_host_zone(fhir, network):
    service = fhir.get(f"HealthcareService/{network.board.id}", network.referrer)
    assert service["name"] == "Thoracic MDT" and service["active"] is True
    assert [s["coding"][0]["code"] for s in service["specialty"]] == ["radiology"]
    assert service["availableTime"] == [{"daysOfWeek": ["wed"], "availableStartTime": "14:00:00",
                                         "availableEndTime": "16:00:00"}]
    assert {"url": EXT_TIMEZONE, "valueCode": "Asia/Shanghai"} in service["extension"]
    assert fhir.resolve(service["providedBy"], network.referrer)["id"] == str(network.hub.id)
    assert fhir.get("HealthcareService", network.referrer, params={"specialty": "radiology"})["total"] == 1
    assert fhir.get("HealthcareService", network.referrer, params={"specialty": "pathology"})["total"] == 0
