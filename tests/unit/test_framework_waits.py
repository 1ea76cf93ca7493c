"""test_framework_waits: the tests' waits return on the event and fail on timeout saying what was awaited and seen."""
from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from framework.waits import LineReader, wait_file, wait_for, wait_gone


def test_wait_for_returns_the_first_result_that_satisfies():
    counter = itertools.count()
    assert wait_for(lambda: next(counter), 5, "three", until=lambda n: n >= 3) == 3


def test_wait_for_fails_with_what_it_waited_for_and_last_saw():
    with pytest.raises(AssertionError, match=r"waited 0.05 s for the answer; last seen: \[41\]"):
        wait_for(lambda: [41], 0.05, "the answer", until=lambda seen: seen == [42])


def test_wait_file_sees_a_file_appear(tmp_path):
    path = tmp_path / "flag"
    writer = subprocess.Popen([sys.executable, "-c", f"open({str(path)!r}, 'w').close()"])
    assert wait_file(path, 10) == path
    writer.wait()


def test_wait_gone_returns_once_the_process_has_exited_and_fails_while_it_runs():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(AssertionError, match=r"waited 0.1 s for process \d+ to be gone; it is still running"):
            wait_gone(sleeper.pid, 0.1)
    finally:
        sleeper.kill()
    sleeper.wait()
    wait_gone(sleeper.pid, 5)


def test_line_reader_finds_a_line_and_keeps_what_it_read():
    proc = subprocess.Popen([sys.executable, "-c", "print('booting'); print('ready: yes')"],
                            stdout=subprocess.PIPE, text=True)
    reader = LineReader(proc.stdout)
    assert reader.wait_line("ready:", 10) == "ready: yes"
    proc.wait()
    assert reader.rest() == ["booting", "ready: yes"]


def test_line_reader_fails_at_end_of_stream_with_the_lines_seen():
    proc = subprocess.Popen([sys.executable, "-c", "print('no luck')"], stdout=subprocess.PIPE, text=True)
    reader = LineReader(proc.stdout)
    with pytest.raises(AssertionError, match=r"the stream ended without a line starting with 'ready:'.*no luck"):
        reader.wait_line("ready:", 10)
    proc.wait()


def test_line_reader_times_out_on_a_silent_stream():
    proc = subprocess.Popen(["sleep", "30"], stdout=subprocess.PIPE, text=True)
    try:
        with pytest.raises(AssertionError, match=r"waited 0.1 s without the guest's banner; lines so far: \[\]"):
            LineReader(proc.stdout).wait_line("x", 0.1, "the guest's banner")
    finally:
        proc.kill()
        proc.wait()
