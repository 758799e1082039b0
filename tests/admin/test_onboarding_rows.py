"""How a CSV onboarding row's changes read in the dry-run table (plain domain, no database)."""
from __future__ import annotations


def test_a_dry_run_row_reads_as_the_file_writes_it(session):
    from app.specialists.csv_import import change_lines

    lines = change_lines({"name": {"from": None, "to": "Dr Sita Thapa"},
                          "home_timezone": {"from": "UTC", "to": "Asia/Kathmandu"},
                          "disciplines": {"from": [], "to": ["pathology", "radiology"]},
                          "licence": {"from": None, "to": {"country": "NP", "number": "NMC-1", "expires_on": "2031-05-31"}}})
    assert lines == [("name", "", "Dr Sita Thapa"), ("timezone", "UTC", "Asia/Kathmandu"),
                     ("disciplines", "", "pathology; radiology"), ("licence", "", "NP NMC-1 2031-05-31")]
