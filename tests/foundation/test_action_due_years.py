"""An outcome action's due date is refused outside the years Meridian handles (as every typed date is),
naming the action's `due`; the years at the ends of the range are fine."""
import pytest

from app.errors import InvalidInput
from app.outcomes.operations import _due
from app.timekeeping import YEAR_RANGE_MESSAGE


@pytest.mark.parametrize("typed", ["9999-12-31", "2200-01-01", "1899-12-31", "0001-01-01"])
def test_a_due_date_outside_the_supported_years_is_refused(typed):
    with pytest.raises(InvalidInput) as refused:
        _due("actions[0].due", typed, None)
    assert refused.value.field == "actions[0].due" and refused.value.template == YEAR_RANGE_MESSAGE
    assert refused.value.message == "must be between the years 1900 and 2199"


@pytest.mark.parametrize("typed", ["1900-01-01", "2199-12-31", " 2027-03-28 "])
def test_a_due_date_within_them_is_kept(typed):
    assert _due("actions[0].due", typed, None) == typed.strip()
