"""Reading DICOM attachments and de-identifying them (plain Python, pydicom, no Flask or database).

`read_metadata` gives what a viewer needs to know about an image before opening it (modality, body
part, series, number of frames, ...). `deidentify` applies the DICOM PS3.15 Annex E Basic Application
Level Confidentiality Profile: identifying attributes are removed, emptied or replaced with a dummy,
UIDs are replaced (deterministically, so the images of one series stay one series), every private
tag is removed, and the copy says so (PatientIdentityRemoved YES, DeidentificationMethod and its
code sequence). Pixel data are left as they are: an image whose BurnedInAnnotation is YES (or not
stated) may still show identifying text, and the viewer is told so.
"""
from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.sequence import Sequence

from app.errors import InvalidInput

DEIDENTIFICATION_METHOD = "DICOM PS3.15 E.1 Basic Application Level Confidentiality Profile"
# CID 7050: "Basic Application Confidentiality Profile" (DCM 113100).
BASIC_PROFILE_CODE = ("113100", "DCM", "Basic Application Confidentiality Profile")
DUMMY_NAME = "ANONYMOUS"


class NotDicom(InvalidInput):
    def __init__(self):
        super().__init__("file", "is not a readable DICOM file")


@dataclass(frozen=True)
class DicomMetadata:
    modality: str | None
    body_part: str | None
    study_description: str | None
    series_description: str | None
    series_instance_uid: str | None
    series_number: int | None
    instance_number: int | None
    number_of_frames: int
    rows: int | None
    columns: int | None
    burned_in_annotation: str | None  # "YES", "NO" or None (not stated)
    patient_identity_removed: bool


def _text(dataset: Dataset, keyword: str) -> str | None:
    value = dataset.get(keyword)
    if value is None or value == "":
        return None
    return str(value).strip() or None


def _integer(dataset: Dataset, keyword: str) -> int | None:
    value = dataset.get(keyword)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def parse(data: bytes, *, with_pixels: bool = True) -> Dataset:
    try:
        return pydicom.dcmread(io.BytesIO(data), stop_before_pixels=not with_pixels)
    except (InvalidDicomError, EOFError, ValueError, KeyError, OSError) as error:
        raise NotDicom() from error


def read_metadata(data: bytes) -> DicomMetadata:
    dataset = parse(data, with_pixels=False)
    burned_in = _text(dataset, "BurnedInAnnotation")
    return DicomMetadata(
        modality=_text(dataset, "Modality"),
        body_part=_text(dataset, "BodyPartExamined"),
        study_description=_text(dataset, "StudyDescription"),
        series_description=_text(dataset, "SeriesDescription"),
        series_instance_uid=_text(dataset, "SeriesInstanceUID"),
        series_number=_integer(dataset, "SeriesNumber"),
        instance_number=_integer(dataset, "InstanceNumber"),
        number_of_frames=_integer(dataset, "NumberOfFrames") or 1,
        rows=_integer(dataset, "Rows"),
        columns=_integer(dataset, "Columns"),
        burned_in_annotation=burned_in.upper() if burned_in else None,
        patient_identity_removed=(_text(dataset, "PatientIdentityRemoved") or "").upper() == "YES",
    )


# --- the Basic Application Level Confidentiality Profile (PS3.15 Table E.1-1) --------------------
# Actions: "Z" empty (type 2: kept, zero length), "D" a dummy value, "X" removed, "U" a new UID.

EMPTIED = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber",
    "ReferringPhysicianName", "StudyID", "StudyDate", "StudyTime", "ContentCreatorName",
    "FillerOrderNumberImagingServiceRequest", "PlacerOrderNumberImagingServiceRequest",
    "VerifyingObserverName", "PersonName", "ContrastBolusAgent",
)
DUMMIED = {"PatientName": DUMMY_NAME}  # a name is type 2 but some readers need a value
REMOVED = (
    "InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName", "InstitutionCodeSequence",
    "ReferringPhysicianAddress", "ReferringPhysicianTelephoneNumbers",
    "ReferringPhysicianIdentificationSequence", "ConsultingPhysicianName", "StationName",
    "PhysiciansOfRecord", "PhysiciansOfRecordIdentificationSequence", "PerformingPhysicianName",
    "PerformingPhysicianIdentificationSequence", "NameOfPhysiciansReadingStudy",
    "PhysiciansReadingStudyIdentificationSequence", "OperatorsName", "OperatorIdentificationSequence",
    "AdmittingDiagnosesDescription", "AdmittingDiagnosesCodeSequence", "ReferencedPatientSequence",
    "ReferencedStudySequence", "ReferencedPerformedProcedureStepSequence",
    "IssuerOfPatientID", "IssuerOfPatientIDQualifiersSequence", "PatientBirthTime",
    "PatientInsurancePlanCodeSequence", "PatientPrimaryLanguageCodeSequence", "OtherPatientIDs",
    "OtherPatientNames", "OtherPatientIDsSequence", "PatientBirthName", "PatientAge", "PatientSize",
    "PatientWeight", "PatientAddress", "PatientMotherBirthName", "MilitaryRank", "BranchOfService",
    "MedicalRecordLocator", "MedicalAlerts", "Allergies", "CountryOfResidence", "RegionOfResidence",
    "PatientTelephoneNumbers", "EthnicGroup", "Occupation", "SmokingStatus", "AdditionalPatientHistory",
    "PregnancyStatus", "LastMenstrualDate", "PatientReligiousPreference", "PatientComments",
    "PatientState", "ResponsibleOrganization", "ResponsiblePerson", "DeviceSerialNumber",
    "DeviceUID", "PlateID", "GantryID", "CassetteID", "DetectorID", "ProtocolName",
    "AcquisitionComments", "ImageComments", "FrameComments", "StudyComments",
    "RequestingPhysician", "RequestingService", "RequestedProcedureDescription",
    "RequestAttributesSequence", "RequestedProcedureID", "ScheduledProcedureStepID",
    "PerformedProcedureStepID", "PerformedProcedureStepDescription", "PerformedLocation",
    "PerformedStationName", "PerformedStationAETitle", "ScheduledPerformingPhysicianName",
    "AdmissionID", "IssuerOfAdmissionID", "CurrentPatientLocation", "PatientInstitutionResidence",
    "ServiceEpisodeID", "ServiceEpisodeDescription", "VisitComments", "ReasonForStudy",
    "RequestedContrastAgent", "InterpretationRecorder", "InterpretationTranscriber",
    "InterpretationAuthor", "InterpretationApproverSequence", "DistributionName",
    "DistributionAddress", "TextComments", "TextString", "IdentifyingComments",
    "OriginalAttributesSequence", "ModifiedAttributesSequence", "DigitalSignaturesSequence",
    "SeriesDate", "SeriesTime", "AcquisitionDate", "AcquisitionTime", "AcquisitionDateTime",
    "ContentDate", "ContentTime", "InstanceCreationDate", "InstanceCreationTime",
    "InstanceCreatorUID", "InstitutionalDepartmentTypeCodeSequence", "StudyDescription",
    "SeriesDescription", "DerivationDescription",
)
# Modality, body part, series number and the image attributes are kept: they describe the
# examination, not the patient. Study and series descriptions are free text, so they go (the
# profile's "Retain Descriptors" option is not applied).
REPLACED_UIDS = (
    "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID",
    "ReferencedSOPInstanceUID", "ReferencedFrameOfReferenceUID", "SynchronizationFrameOfReferenceUID",
    "ConcatenationUID", "DimensionOrganizationUID", "IrradiationEventUID", "StorageMediaFileSetUID",
    "TransactionUID", "UID", "ReferencedGeneralPurposeScheduledProcedureStepTransactionUID",
)
# Overlay data and comments (groups 6000-60FF) can carry burned-in names.
OVERLAY_ELEMENTS = (0x3000, 0x4000)


def replaced_uid(original: str, salt: str) -> str:
    """The same original UID always gets the same new one (for one salt): a series stays a series."""
    digest = hashlib.sha256(f"{salt}\x00{original}".encode()).digest()
    return "2.25." + str(uuid.UUID(bytes=digest[:16], version=5).int)  # PS3.5 B.2: a UUID as a UID


def _clean(dataset: Dataset, salt: str) -> None:
    for keyword in REMOVED:
        if keyword in dataset:
            delattr(dataset, keyword)
    for keyword in EMPTIED:
        if keyword in dataset:
            dataset.data_element(keyword).value = DUMMIED.get(keyword, "")
    for keyword in REPLACED_UIDS:
        element = dataset.data_element(keyword) if keyword in dataset else None
        if element is not None and element.value:
            if element.VM > 1:
                element.value = [replaced_uid(value, salt) for value in element.value]
            else:
                element.value = replaced_uid(element.value, salt)
    for tag in [tag for tag in dataset.keys() if tag.group & 0xFF00 == 0x6000 and tag.element in OVERLAY_ELEMENTS]:
        del dataset[tag]
    for element in list(dataset):
        if element.VR == "SQ" and isinstance(element.value, Sequence):
            for item in element.value:
                _clean(item, salt)


def deidentify(data: bytes, *, salt: str) -> bytes:
    """A copy of the DICOM file `data` under the Basic Profile; `salt` keys the replacement UIDs
    (a deployment secret: without it nobody can link a new UID back to the original)."""
    dataset = parse(data)
    dataset.remove_private_tags()
    _clean(dataset, salt)
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = DEIDENTIFICATION_METHOD
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = BASIC_PROFILE_CODE
    dataset.DeidentificationMethodCodeSequence = Sequence([code])
    meta = dataset.file_meta
    if "SOPInstanceUID" in dataset:
        meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    for keyword in ("SourceApplicationEntityTitle", "SendingApplicationEntityTitle",
                    "ReceivingApplicationEntityTitle", "PrivateInformationCreatorUID", "PrivateInformation"):
        if keyword in meta:
            delattr(meta, keyword)
    output = io.BytesIO()
    dataset.save_as(output, enforce_file_format=True)
    return output.getvalue()
