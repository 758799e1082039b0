"""Every process of a test run reads one timeline (tests/clock.py), so instants written by a server
subprocess and read by the test (or another server) are comparable."""
import subprocess
import sys
import time


def test_a_subprocess_that_reads_the_time_late_is_on_the_same_timeline():
    before = time.time()
    # The child reads the time only after a second (as a web process does after its imports).
    output = subprocess.run([sys.executable, "-c", "import time; time.sleep(1.0); print(repr(time.time()))"],
                            capture_output=True, text=True, check=True, timeout=60).stdout
    after = time.time()
    assert before + 1.0 <= float(output) <= after
