"""run.schedule: fires a topology's `schedule:` events at their times from the start of traffic, in a thread, and
logs when each fired (links down/up and impairment changes through their relays or monitors, unikernels stopped and
resumed)."""
from __future__ import annotations

import signal
import threading
import time

from testbed.apply.procs import ProcessId
from testbed.errors import LabError
from testbed.run import links
from testbed.topology.schema.impair import Impairment
from testbed.topology.schema.schedule import ScheduleEvent

KEY = "schedule"  # its entry among the traffic results


class Schedule:
    """Started with the traffic; stop() ends it (events not yet due never fire) and log() says what happened."""

    def __init__(self, lab, events: tuple[ScheduleEvent, ...], started: float):
        self.lab = lab
        self.events = sorted(events, key=lambda event: event.at)
        self.started = started
        self.entries: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedule", daemon=True)

    def start(self) -> Schedule:
        if self.events:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def log(self) -> dict:
        done = {id(entry["event"]) for entry in self.entries}
        events = [{key: value for key, value in entry.items() if key != "event"} for entry in self.entries]
        events += [{"at_s": event.at, "what": event.describe(), "fired_s": None, "error": "traffic ended first"}
                   for event in self.events if id(event) not in done]
        fired = "; ".join(f"{e['what']} at {e['fired_s']:.2f} s" + (f" ({e['error']})" if e["error"] else "")
                          if e["fired_s"] is not None else f"{e['what']}: not fired ({e['error']})" for e in events)
        return {"kind": KEY, "fired": fired, "events": events}

    def _run(self) -> None:
        for event in self.events:
            if self._stop.wait(max(0.0, self.started + event.at - time.monotonic())):
                return
            fired = time.monotonic() - self.started
            try:
                fire(self.lab, event)
                error = None
            except LabError as exc:
                error = str(exc)
            self.entries.append({"event": event, "at_s": event.at, "fired_s": round(fired, 6),
                                 "done_s": round(time.monotonic() - self.started, 6), "error": error,
                                 "what": event.describe()})


def fire(lab, event: ScheduleEvent) -> None:
    if event.kind in ("link_down", "link_up"):
        links.set_state(lab, links.find(lab, event.spec), up=event.kind == "link_up")
    elif event.kind == "impair":
        change = event.impair
        values = Impairment.model_construct(**{name: getattr(change, name) for name in change.model_fields_set
                                               if name in Impairment.model_fields})
        links.change(lab, links.find(lab, change.link), values, change.direction, clear=change.clear)
    else:
        _signal_node(lab, event.spec, signal.SIGSTOP if event.kind == "node_stop" else signal.SIGCONT)


def _signal_node(lab, node: str, signum: int) -> None:
    """A unikernel stops as a whole: its monitor (vCPU, IO threads) is frozen until continued."""
    monitor = ProcessId.from_json(lab.processes().get(node))
    if monitor is None or not monitor.signal(signum):
        raise LabError(f"node {node}: its monitor is not running")
