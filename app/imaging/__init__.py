"""Medical images: DICOM metadata, the de-identified copy that crosses a residency border, and
which bytes a viewer is served (plain Python; pydicom reads and writes the files)."""
