"""test_sanitized_monitor: existing monitor tests rerun against sanitizer builds: the hostile-guest and bad-image
tests on ASan+UBSan and on UBSan alone (whose reports, unlike the combined runtime's, go to a file), the
shared-memory tests on TSan. TESTBED_MONITOR points them at the build; a sanitizer report
fails the run even when the monitor's exit status looked right (reports go to files, which must stay absent)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Saturates a core for minutes: ci/test.sh runs it after the timing-sensitive tests, not beside them.
pytestmark = pytest.mark.cpu_hog

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SANITIZER_EXIT = 99  # a status no test expects from the monitor
# The hostile-guest and bad-image suites: faults, every refused image or option, guests aiming at the edges (RAM's
# top, low memory, the MMIO window, ring geometry, lengths changed while read), inputs bounded (console volume, a
# stdout nobody reads, paths that are not files).
ASAN_SUITES = ("test_monitor_faults*.py", "test_monitor_bad_input*.py", "test_monitor_hostile*.py",
               "test_monitor_bounds*.py")
# Shared memory between the vCPU and the IO thread: every mode moves real traffic, and corrupt rings are stopped;
# impaired and captured shm links add the IO thread on the link's rings, the watch thread and a hostile peer;
# --sleep=hlt adds its timer thread and the wake counters the IO thread keeps.
TSAN_SUITES = ("test_shmstream*.py", "test_shm_links_impaired.py", "test_hlt_sleep.py")
# Without the exact-count floods of test_shmstream.py (minutes under TSan); its pings in every mode stay, and the
# corrupt rings, fallbacks and exact counts of the other two files.
TSAN_SELECTION = "not (udp_into or udp_out or rx_ring_wraps or full_tx_ring)"
# Known races, each reported and waiting for its fix (the file says which).
TSAN_SUPPRESSIONS = HERE / "tsan_suppressions.txt"


def suites(patterns: tuple[str, ...]) -> list[str]:
    found = sorted({str(path) for pattern in patterns for path in HERE.glob(pattern)})
    assert found, patterns
    return found


def build(kind: str, out: Path) -> Path:
    done = subprocess.run(["make", "-s", "-C", str(REPO / "monitor"), "-j2", f"sanitize-{kind}", f"OUT={out}"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return out / "tb-monitor"


@pytest.fixture(scope="session")
def sanitized(tmp_path_factory):
    """sanitized(kind) -> the monitor built with that sanitizer, once per test process."""
    built: dict[str, Path] = {}

    def get(kind: str) -> Path:
        if kind not in built:
            built[kind] = build(kind, tmp_path_factory.mktemp(f"sanitize-{kind}"))
        return built[kind]
    return get


def runnable(binary: Path, folder: Path) -> Path:
    """The build as the tests start it: with the seccomp filter off when the monitor has one (the sanitizers'
    runtimes make system calls of their own, and a report must be written, not killed)."""
    usage = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=30, check=False).stdout
    if "--seccomp" not in usage:
        return binary
    wrapper = folder / "tb-monitor-no-seccomp"
    wrapper.write_text(f'#!/bin/sh\nexec "{binary}" --seccomp=off "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def sanitizer_env(monitor: Path, reports: Path) -> dict[str, str]:
    common = f"halt_on_error=1:exitcode={SANITIZER_EXIT}:log_path={reports}/report"
    return {**os.environ, "TESTBED_MONITOR": str(monitor),
            "ASAN_OPTIONS": f"{common}:detect_leaks=0:abort_on_error=0",
            "UBSAN_OPTIONS": f"{common}:print_stacktrace=1",
            "TSAN_OPTIONS": f"{common}:second_deadlock_stack=1:suppressions={TSAN_SUPPRESSIONS}"}


def run_suites(monitor: Path, reports: Path, files: list[str], selection: str | None = None) -> None:
    reports.mkdir()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", *files]
    command += ["-k", selection] if selection else []
    done = subprocess.run(command, cwd=REPO, env=sanitizer_env(monitor, reports), capture_output=True, text=True,
                          timeout=900, check=False)
    found = sorted(reports.iterdir())
    report_text = "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}" for path in found)
    assert not found, f"sanitizer reports:\n{report_text}"
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " skipped" not in done.stdout.splitlines()[-1], done.stdout[-2000:]


@pytest.mark.parametrize("kind", ["address", "undefined"])
def test_hostile_guests_and_bad_images_under_asan_and_ubsan(kvm, tmp_path, sanitized, kind):
    monitor = runnable(sanitized(kind), tmp_path)
    run_suites(monitor, tmp_path / "reports", suites(ASAN_SUITES))


def test_shared_memory_under_tsan(kvm, tmp_path, sanitized):
    monitor = runnable(sanitized("thread"), tmp_path)
    run_suites(monitor, tmp_path / "reports", suites(TSAN_SUITES), TSAN_SELECTION)


PLANTED = {
    # One byte past a heap block: ASan.
    "address": "#include <stdlib.h>\nint main(void) { char *p = malloc(8); p[8] = 1; free(p); return 0; }\n",
    # A shift past the width of int: UBSan.
    "undefined": "#include <stdlib.h>\nint main(int c, char **v) { (void)v; return 1 << (c + 40); }\n",
    # Two threads bump one counter without a lock, the second staying alive until the first is done: TSan.
    "thread": "#include <pthread.h>\nstatic int n, done;\n"
              "static void *bump(void *a) { for (int i = 0; i < 1000; i++) n++;\n"
              "  while (!__atomic_load_n(&done, __ATOMIC_RELAXED)) {} return a; }\n"
              "int main(void) { pthread_t t; pthread_create(&t, 0, bump, 0); for (int i = 0; i < 1000; i++) n++;\n"
              "  __atomic_store_n(&done, 1, __ATOMIC_RELAXED); pthread_join(t, 0); return 0; }\n",
}
# TSan's detector may miss a race (the planted one went unreported in about 1 of 2,000 runs on a loaded 2-core
# machine, exit 0 and no report), so its program gets a few runs; one report is the proof.
RUNS = {"address": 1, "undefined": 1, "thread": 5}
RUNTIME = {"address": "libasan", "undefined": "libubsan", "thread": "libtsan"}
FINDING = {"address": "heap-buffer-overflow", "undefined": "shift exponent", "thread": "data race"}


def makefile_variable(name: str) -> str:
    done = subprocess.run(["make", "-s", "-C", str(REPO / "monitor"), "--eval", "print-%: ; @echo $($*)",
                           f"print-{name}"], capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.strip()


@pytest.mark.parametrize("kind", ["address", "undefined", "thread"])
def test_a_sanitizer_report_fails_the_run(tmp_path, sanitized, kind):
    """The proof above can fail: the monitor build carries the sanitizer's runtime, and a program built with the same
    flags and a planted bug, run with the same options, leaves a report and exits with the sanitizer's status."""
    monitor = sanitized(kind)
    linked = subprocess.run(["ldd", str(monitor)], capture_output=True, text=True, timeout=30, check=True).stdout
    assert RUNTIME[kind] in linked, linked
    source, program, reports = tmp_path / "planted.c", tmp_path / "planted", tmp_path / "reports"
    source.write_text(PLANTED[kind])
    flags = makefile_variable(f"SANITIZE_{kind}").split()
    subprocess.run(["gcc", "-g", "-O0", *flags, "-pthread", str(source), "-o", str(program)], check=True, timeout=120)
    reports.mkdir()
    for _ in range(RUNS[kind]):
        done = subprocess.run([str(program)], env=sanitizer_env(monitor, reports), capture_output=True, text=True,
                              timeout=60, check=False)
        if done.returncode == SANITIZER_EXIT:
            break
    assert done.returncode == SANITIZER_EXIT, (done.returncode, done.stderr)
    found = list(reports.iterdir())
    assert found and FINDING[kind] in found[0].read_text(), [path.read_text() for path in found]
