"""Synthetic DICOM series (a phantom drawn in pure Python), for the demo and the tests: no image
is downloaded, and no real patient is in any of them."""
from __future__ import annotations

import io
import math
from array import array
from datetime import date

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def _phantom(size: int, slice_index: int, slices: int) -> bytes:
    """A body-like ellipse with a bright round 'lesion' that grows towards the middle slice (CT HU + 1024)."""
    pixels = array("H")
    centre = (size - 1) / 2
    lesion = size * 0.12 * math.sin(math.pi * (slice_index + 1) / (slices + 1))
    for y in range(size):
        for x in range(size):
            dx, dy = (x - centre) / (size * 0.45), (y - centre) / (size * 0.35)
            value = 0  # air: -1024 HU
            if dx * dx + dy * dy <= 1:
                value = 1024 + 40  # soft tissue
                if math.hypot(x - centre * 1.25, y - centre * 0.9) <= lesion:
                    value = 1024 + 180
            pixels.append(value)
    if pixels.itemsize != 2:
        raise RuntimeError("16-bit pixels need a 2-byte unsigned short")
    return pixels.tobytes() if array("H", [1]).tobytes() == b"\x01\x00" else _swap(pixels)


def _swap(pixels: array) -> bytes:
    pixels.byteswap()
    return pixels.tobytes()


def synthetic_series(*, slices: int = 3, size: int = 64, patient_name: str = "Synthetic^Patient",
                     patient_id: str = "SYN-0001", birth_date: date = date(1961, 3, 14),
                     institution: str = "Synthetic Imaging Centre", body_part: str = "CHEST",
                     series_description: str = "CT chest with contrast", burned_in_annotation: str = "NO",
                     private_note: str | None = "scanner private note") -> list[bytes]:
    """`slices` CT images of one study and series, each a complete DICOM Part 10 file."""
    study_uid, series_uid, frame_uid = generate_uid(), generate_uid(), generate_uid()
    files = []
    for index in range(slices):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        dataset = Dataset()
        dataset.file_meta = meta
        dataset.SOPClassUID = CTImageStorage
        dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        dataset.StudyInstanceUID, dataset.SeriesInstanceUID = study_uid, series_uid
        dataset.FrameOfReferenceUID = frame_uid
        dataset.PatientName, dataset.PatientID = patient_name, patient_id
        dataset.PatientBirthDate = birth_date.strftime("%Y%m%d")
        dataset.PatientSex = "F"
        dataset.OtherPatientIDs = patient_id + "-MRN"
        dataset.PatientAddress = "1 Synthetic Road"
        dataset.InstitutionName = institution
        dataset.InstitutionAddress = "2 Synthetic Avenue"
        dataset.ReferringPhysicianName = "Synthetic^Referrer"
        dataset.OperatorsName = "Synthetic^Operator"
        dataset.StationName = "CT01"
        dataset.AccessionNumber = ("A" + patient_id)[:16]
        dataset.StudyID = "1"
        dataset.StudyDate = dataset.SeriesDate = "20261101"
        dataset.StudyTime = dataset.SeriesTime = "101500"
        dataset.StudyDescription = "Staging CT"
        dataset.SeriesDescription = series_description
        dataset.Modality = "CT"
        dataset.BodyPartExamined = body_part
        dataset.Manufacturer = "Meridian synthetic"
        dataset.SeriesNumber = 2
        dataset.InstanceNumber = index + 1
        dataset.ImagePositionPatient = [0.0, 0.0, float(index * 5)]
        dataset.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        dataset.SliceThickness = 5.0
        dataset.PixelSpacing = [0.7, 0.7]
        dataset.BurnedInAnnotation = burned_in_annotation
        dataset.SamplesPerPixel = 1
        dataset.PhotometricInterpretation = "MONOCHROME2"
        dataset.Rows = dataset.Columns = size
        dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit = 16, 12, 11
        dataset.PixelRepresentation = 0
        dataset.RescaleIntercept, dataset.RescaleSlope = -1024, 1
        dataset.WindowCenter, dataset.WindowWidth = 40, 400
        dataset.PixelData = _phantom(size, index, slices)
        if private_note:
            block = dataset.private_block(0x0009, "MERIDIAN SYNTHETIC", create=True)
            block.add_new(0x01, "LO", private_note)
        output = io.BytesIO()
        dataset.save_as(output, enforce_file_format=True)
        files.append(output.getvalue())
    return files
