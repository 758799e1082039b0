"""Meridian's own words in FHIR resources (labels, categories, roles, comments) read in the reader's language,
which `language` names; codes, systems and the code systems' own displays stay as they are, and what people
wrote (rationale, names, diagnoses) stays as they wrote it."""
from __future__ import annotations

from datetime import timedelta

from app.fhir.codes import DISCIPLINE_SYSTEM, LOINC, OUTCOME_CATEGORY_SYSTEM, SERVICE_CATEGORY_SYSTEM

from tests.fhir.conftest import NOW

RUSSIAN = {"Accept-Language": "ru-RU,ru;q=0.9"}
CHINESE = {"Accept-Language": "zh-CN"}


def test_a_care_plan_reads_in_the_language_the_client_asks_for(fhir, network, signed):
    case, first, second = signed
    plan = fhir.get(f"CarePlan/{second.id}", network.referrer, extra_headers=RUSSIAN)
    assert plan["language"] == "ru"
    assert [note["text"] for note in plan["note"]] == ["Причина изменения: Nodal disease on the restaging PET.",
                                                       "Обоснование: Resectable."]
    assert plan["category"] == [{"coding": [{"system": OUTCOME_CATEGORY_SYSTEM, "code": "surgery"}],
                                 "text": "хирургическое лечение"}]
    assert plan["title"] == "Рекомендация консилиума (MDT), версия 2"
    assert plan["activity"][0]["detail"]["scheduledString"] == "Срок: 20 мар. 2026\u202fг."
    assert plan["activity"][0]["detail"]["description"] == "Book surgery"  # as the clinician wrote it

    chinese = fhir.get(f"CarePlan/{first.id}", network.referrer, extra_headers=CHINESE)
    assert chinese["language"] == "zh-Hans" and [note["text"] for note in chinese["note"]] == ["理由：Resectable."]
    assert chinese["category"][0]["text"] == "手术"


def test_without_accept_language_a_care_plan_is_in_english(fhir, network, signed):
    case, first, second = signed
    plan = fhir.get(f"CarePlan/{second.id}", network.referrer)
    assert plan["language"] == "en"
    assert plan["category"][0]["text"] == "surgery"
    assert plan["title"] == "MDT recommendation, version 2"
    assert plan["activity"][0]["detail"]["scheduledString"] == "Due 20 Mar 2026"
    assert plan["note"][0]["text"] == "Amendment reason: Nodal disease on the restaging PET."


def test_a_reader_who_chose_a_language_gets_it_without_asking(fhir, network, signed, session):
    case, first, second = signed
    network.referrer.locale = "zh"
    session.commit()
    plan = fhir.get(f"CarePlan/{second.id}", network.referrer)
    assert plan["language"] == "zh-Hans" and plan["title"] == "MDT 建议（第 2 版）"
    # A client that names a language gets it, as on the API (an interface's system reads for others).
    assert fhir.get(f"CarePlan/{second.id}", network.referrer, extra_headers=RUSSIAN)["language"] == "ru"


def test_a_dissent_is_labelled_in_the_readers_language(fhir, network, make_case, session):
    from app.outcomes.models import Outcome

    case = make_case("discussed", patient_reference="FCG-2026-0501")
    outcome = Outcome(case_id=case.id, version=1, recommendation="Surgery", category="surgery",
                      dissent="Prefers SBRT.", drafted_by_id=network.coordinator.id)
    session.add(outcome)
    session.flush()
    outcome.signed_at = NOW  # signed last: a signed outcome cannot change
    session.commit()
    plan = fhir.get(f"CarePlan/{outcome.id}", network.referrer, extra_headers=CHINESE)
    assert [note["text"] for note in plan["note"]] == ["不同意见：Prefers SBRT."]


def test_a_signature_reads_in_the_readers_language_with_its_discipline_named(fhir, network, signed):
    case, first, second = signed
    found = fhir.get("Provenance", network.referrer, params={"target": f"CarePlan/{second.id}"},
                     extra_headers=RUSSIAN)
    (provenance,) = [entry["resource"] for entry in found["entry"]]
    assert provenance["language"] == "ru"
    assert provenance["activity"] == {"text": "Подписал(а) заключение консилиума"}
    assert provenance["agent"][0]["role"] == [{"coding": [{"system": DISCIPLINE_SYSTEM, "code": "radiology"}],
                                               "text": "Лучевая диагностика"}]


def test_an_appointment_names_roles_and_disciplines_in_the_readers_language(fhir, network, make_meeting):
    meeting = make_meeting(NOW + timedelta(days=2), invitees={network.radiologist: "accepted"})
    appointment = fhir.get(f"Appointment/{meeting.id}", network.radiologist, extra_headers=RUSSIAN)
    assert appointment["language"] == "ru"
    (invitee,) = [p for p in appointment["participant"] if p["actor"]["reference"].startswith("Practitioner/")]
    role, discipline = invitee["type"]
    assert role["coding"][0]["code"] == "seat" and role["text"] == "место"
    assert discipline["coding"][0]["code"] == "radiology" and discipline["text"] == "Лучевая диагностика"

    empty = make_meeting(NOW + timedelta(days=3), board=False)
    nobody = fhir.get(f"Appointment/{empty.id}", network.coordinator, extra_headers=CHINESE)
    assert nobody["participant"] == [{"status": "needs-action", "type": [{"text": "尚无受邀者"}]}]


def test_a_practitioners_licence_and_role_read_in_the_readers_language(fhir, network):
    person = fhir.get(f"Practitioner/{network.radiologist.id}", network.referrer, extra_headers=RUSSIAN)
    assert person["language"] == "ru"
    (licence,) = person["qualification"]
    assert licence["code"] == {"text": "Лицензия на медицинскую деятельность (Китай)"}
    assert licence["issuer"]["display"] == "Орган медицинского лицензирования, Китай"
    assert licence["issuer"]["identifier"]["value"] == "CN"
    assert person["name"] == [{"text": "Dr Kamau"}]

    role = fhir.get(f"PractitionerRole/{network.radiologist.id}", network.referrer, extra_headers=CHINESE)
    assert role["language"] == "zh-Hans" and role["code"] == [{"text": "MDT 专家"}]
    # The code system's own display stays; the text is the reader's.
    assert role["specialty"] == [{"coding": [{"system": DISCIPLINE_SYSTEM, "code": "radiology",
                                              "display": "Radiology"}], "text": "放射科"}]


def test_a_case_keeps_its_teams_language_and_names_its_category_in_the_readers(fhir, network, make_case):
    case = make_case("submitted")
    request = fhir.get(f"ServiceRequest/{case.id}", network.referrer, extra_headers=RUSSIAN)
    # A full case is written by its team: `language` stays theirs (the referral says so).
    assert request["language"] == "zh"
    assert request["category"] == [{"coding": [{"system": SERVICE_CATEGORY_SYSTEM, "code": "cancer-care-review",
                                                 "display": "Cancer care review"}],
                                    "text": "Обсуждение онкологического случая"}]


def test_a_pseudonymised_summary_is_all_in_the_readers_language(fhir, network, make_case, make_meeting):
    case = make_case("triaged", cross_border_consent=False)
    make_meeting(NOW + timedelta(days=4), cases=[case], invitees={network.radiologist: "accepted"}, board=False)
    summary = fhir.get(f"ServiceRequest/{case.id}", network.radiologist, extra_headers=RUSSIAN)
    assert summary["meta"]["tag"][0]["code"] == "SUBSETTED"
    assert summary["language"] == "ru"
    assert summary["subject"] == {"display": "Псевдонимизировано: согласие на трансграничное обсуждение не записано"}


def test_consent_policy_reads_in_the_readers_language(fhir, network, make_case):
    case = make_case("draft", patient_reference=None)
    consent = fhir.get(f"Consent/{case.id}", network.referrer, extra_headers=CHINESE)
    assert consent["language"] == "zh-Hans"
    assert consent["policyRule"]["text"] == "Meridian：病例仅在患者同意后才可在其数据驻留区域以外讨论"
    assert consent["policyRule"]["coding"][0]["code"] == "OPTIN"
    assert consent["patient"] == {"display": "尚未提供患者编号"}
    # LOINC's own display is LOINC's, in English.
    assert consent["category"][0]["coding"][0] == {"system": LOINC, "code": "59284-0", "display": "Patient Consent"}


def test_a_board_and_a_schedule_explain_their_times_in_the_readers_language(fhir, network, make_meeting):
    board = fhir.get(f"HealthcareService/{network.board.id}", network.referrer, extra_headers=CHINESE)
    assert board["language"] == "zh-Hans"
    assert board["availabilityExceptions"] == "每周开会一次；时间为 Asia/Shanghai 当地时间。"
    assert board["category"][0]["text"] == "多学科会诊组"
    assert board["category"][0]["coding"][0]["display"] == "Multidisciplinary team board"

    schedule = fhir.get(f"Schedule/{network.radiologist.id}", network.referrer, extra_headers=RUSSIAN)
    assert schedule["language"] == "ru" and schedule["comment"].startswith("Свободные и занятые интервалы")
    assert "Africa/Nairobi" in schedule["comment"]
    make_meeting(NOW + timedelta(days=1), invitees={network.radiologist: "accepted"}, hours=1, board=False)
    busy = fhir.get("Slot", network.referrer, extra_headers=RUSSIAN, params={
        "schedule": f"Schedule/{network.radiologist.id}", "status": "busy",
        "start": ["ge2026-03-02T00:00:00Z", "lt2026-03-09T00:00:00Z"]})
    (slot,) = [entry["resource"] for entry in busy["entry"]]
    assert slot["language"] == "ru"
    assert slot["comment"] == "Занято (заседание вместе с буферным временем специалиста до и после него)"
