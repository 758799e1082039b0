"""DICOM metadata and the Basic Application Level Confidentiality Profile, on files pydicom writes."""
from __future__ import annotations

import io

import pydicom
import pytest

from app.imaging.dicom import NotDicom, deidentify, read_metadata
from app.imaging.synthetic import synthetic_series


def test_metadata_says_what_the_image_is():
    files = synthetic_series(slices=2, body_part="ABDOMEN", series_description="CT abdomen portal venous")
    metadata = read_metadata(files[1])
    assert (metadata.modality, metadata.body_part) == ("CT", "ABDOMEN")
    assert metadata.series_description == "CT abdomen portal venous"
    assert metadata.instance_number == 2 and metadata.number_of_frames == 1
    assert (metadata.rows, metadata.columns) == (64, 64)
    assert metadata.burned_in_annotation == "NO" and not metadata.patient_identity_removed


def test_a_file_that_is_not_dicom_is_refused_by_name():
    with pytest.raises(NotDicom) as refused:
        read_metadata(b"%PDF-1.7 not an image")
    assert refused.value.field == "file"


def test_the_copy_keeps_no_identifier_and_says_it_was_deidentified():
    original = synthetic_series(slices=1, patient_name="Wanjiru^Achieng", patient_id="NBI-778812",
                                institution="Nairobi Teaching and Referral Hospital",
                                burned_in_annotation="YES")[0]
    copy = pydicom.dcmread(io.BytesIO(deidentify(original, salt="deployment")))
    text = deidentify(original, salt="deployment")
    for identifying in (b"Wanjiru", b"NBI-778812", b"Nairobi", b"19610314", b"Synthetic Road", b"scanner private note"):
        assert identifying not in text
    assert str(copy.PatientName) == "ANONYMOUS" and copy.PatientID == "" and copy.PatientBirthDate == ""
    for removed in ("InstitutionName", "InstitutionAddress", "OtherPatientIDs", "PatientAddress", "OperatorsName",
                    "StationName", "SeriesDescription"):
        assert removed not in copy
    assert not any(element.tag.is_private for element in copy)
    assert copy.PatientIdentityRemoved == "YES"
    assert "Basic Application Level Confidentiality Profile" in copy.DeidentificationMethod
    assert copy.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
    # What a reader needs stays, and the burned-in annotation is still declared for the viewer to flag.
    assert (copy.Modality, copy.BodyPartExamined, copy.BurnedInAnnotation) == ("CT", "CHEST", "YES")
    assert copy.PixelData == pydicom.dcmread(io.BytesIO(original)).PixelData


def test_uids_are_replaced_alike_so_a_series_stays_one_series():
    first, second = synthetic_series(slices=2)
    originals = [pydicom.dcmread(io.BytesIO(f)) for f in (first, second)]
    copies = [pydicom.dcmread(io.BytesIO(deidentify(f, salt="deployment"))) for f in (first, second)]
    assert copies[0].SeriesInstanceUID == copies[1].SeriesInstanceUID != originals[0].SeriesInstanceUID
    assert copies[0].StudyInstanceUID != originals[0].StudyInstanceUID
    assert copies[0].SOPInstanceUID != copies[1].SOPInstanceUID
    assert copies[0].file_meta.MediaStorageSOPInstanceUID == copies[0].SOPInstanceUID
    other_deployment = pydicom.dcmread(io.BytesIO(deidentify(first, salt="elsewhere")))
    assert other_deployment.SeriesInstanceUID != copies[0].SeriesInstanceUID
