"""`flask onboard-specialists`: a --site that names no site, however it is typed, and a licence expiring
beyond the supported years are one line and a non-zero exit; nothing is written."""
import pytest
from sqlalchemy import func, select

from app.accounts.models import User

CSV = ("email,name,disciplines,licence_country,licence_number,licence_expires_on\n"
       "new@example.org,Dr New,radiology,NP,NMC-1,2030-06-30\n")


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "partners.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


@pytest.mark.parametrize("site", ["99999999999999999999", "2147483648", "²", "٣", "0", "-1", "99", ""])
def test_a_site_that_is_not_there_is_one_line(app, session, organization, csv_file, site):
    result = app.test_cli_runner().invoke(args=["onboard-specialists", str(csv_file), "--site", site])
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [f"Error: no site is named or numbered {site!r}"]
    assert isinstance(result.exception, SystemExit)  # no OverflowError, no ValueError
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_site_is_found_by_its_id_or_its_name_in_any_case(app, organization, csv_file):
    runner = app.test_cli_runner()
    for site in (str(organization.id), f" {organization.id} ", organization.name.upper()):
        result = runner.invoke(args=["onboard-specialists", str(csv_file), "--site", site])
        assert result.exit_code == 0, (site, result.output)
        assert "row 2 new@example.org: will create" in result.output


def test_a_licence_expiring_after_2199_is_a_row_error_and_nothing_is_imported(app, session, organization,
                                                                                tmp_path):
    path = tmp_path / "y9999.csv"
    path.write_text(CSV.replace("2030-06-30", "9999-12-31"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["onboard-specialists", str(path), "--site", str(organization.id),
                                                "--apply"])
    assert result.exit_code == 1
    assert "row 2 new@example.org: error (licence_expires_on: must be between the years 1900 and 2199)" \
        in result.output
    assert "Error: rows have errors; nothing was imported" in result.output
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "new@example.org")) is None
