"""Puts every Python subprocess of a test run on the run's clock (see tests/clock.py)."""
import os

if os.environ.get("MERIDIAN_TEST_CLOCK"):
    import importlib.util

    _spec = importlib.util.spec_from_file_location(
        "meridian_test_clock", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "clock.py"))
    _clock = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_clock)
    _clock.follow()
