"""Which bytes a viewer gets: the original in the case's residency region, the de-identified copy
outside it, made once, stored encrypted beside the original, and erased with the case."""
from __future__ import annotations

import io
from datetime import datetime

import pydicom
import pytest
from cryptography.fernet import Fernet

from app.cases.attachments import AttachmentStore, cipher_from
from app.cases.models import Case
from app.cases.operations import add_attachment
from app.dataprotection.operations import erase_case
from app.imaging.models import DicomImage
from app.imaging.operations import image_records, served_content
from app.imaging.synthetic import synthetic_series
from app.timekeeping import UTC

AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    return AttachmentStore(tmp_path / "attachments", cipher_from(Fernet.generate_key().decode()))


@pytest.fixture
def ct(session, store, organization, make_user):
    """A case of the 'cn' region with a two-image CT series whose patient is named."""
    referrer = make_user("referrer")
    case = Case(organization_id=organization.id, referrer_id=referrer.id, residency_region="cn", state="draft")
    session.add(case)
    session.flush()
    attachments = []
    for number, data in enumerate(synthetic_series(slices=2, patient_name="Wang^Fang", patient_id="FCG-0142",
                                                   institution="Fangchenggang Regional Cancer Centre"), start=1):
        stored = store.save(io.BytesIO(data), limit=len(data))
        attachments.append(add_attachment(session, case, referrer, filename=f"ct-{number}.dcm", stored=stored,
                                          at=AT)[0])
    session.commit()
    return case, attachments, referrer


def test_the_metadata_is_read_once_for_the_whole_series(session, store, ct):
    _case, attachments, _referrer = ct
    records = image_records(session, store, attachments, at=AT)
    assert {r.series_instance_uid for r in records.values()} == {records[attachments[0].id].series_instance_uid}
    assert [records[a.id].instance_number for a in attachments] == [1, 2]
    assert session.query(DicomImage).count() == 2


def test_the_original_stays_in_its_region_and_the_copy_crosses_the_border(session, store, ct):
    _case, (first, _second), _referrer = ct
    at_home = served_content(session, store, first, viewer_region="cn", salt="s", at=AT)
    assert not at_home.deidentified and str(pydicom.dcmread(io.BytesIO(at_home.data)).PatientName) == "Wang^Fang"
    assert session.get(DicomImage, first.id) is None  # nothing read or copied for a viewer at home

    abroad = served_content(session, store, first, viewer_region="ke", salt="s", at=AT)
    copy = pydicom.dcmread(io.BytesIO(abroad.data))
    assert abroad.deidentified and copy.PatientIdentityRemoved == "YES" and copy.PatientID == ""
    record = session.get(DicomImage, first.id)
    assert record.deidentified_sha256 != first.sha256 and record.deidentified_at == AT
    raw = store.path_for(record.deidentified_sha256).read_bytes()
    assert raw.startswith(b"gAAAAA") and b"ANONYMOUS" not in raw  # encrypted at rest, like the original

    again = served_content(session, store, first, viewer_region="ke", salt="s", at=datetime(2026, 11, 21, tzinfo=UTC))
    assert again.data == abroad.data and session.get(DicomImage, first.id).deidentified_at == AT  # made once


def test_erasing_the_case_erases_the_copies_too(session, store, ct):
    case, (first, _second), referrer = ct
    served_content(session, store, first, viewer_region="ke", salt="s", at=AT)
    copy_path = store.path_for(session.get(DicomImage, first.id).deidentified_sha256)
    original_path = store.path_for(first.sha256)
    session.commit()
    erase_case(session, store, case, actor=referrer, reason="the patient's request", at=AT)
    session.commit()
    assert not copy_path.exists() and not original_path.exists()
    assert session.query(DicomImage).count() == 0
