"""docs_reference.cli_notes: the hand-written parts of docs/cli.md: exit statuses and examples per command."""
from __future__ import annotations

INTRO = """\
# CLI reference

<!-- Generated from the argparse parsers (testbed/cli) and testbed/docs_reference/cli_notes.py by
`{regenerate}`: edit those, not this file. -->

`testbed` is installed by `pip install -e .` (or `bash ci/install.sh`); most commands need root,
because they create network namespaces and open /dev/kvm.

`testbed --help`:
"""

EXIT_STATUSES = """\
## Exit statuses

| status | meaning |
|---|---|
| 0 | done: the topology is valid, the lab came up, every check passed |
| 1 | failed: a check failed, the lab could not be brought up (the error names the cause), `down` left something behind, a build is missing, `compare` found a metric that got worse |
| 2 | bad input: an invalid topology (every problem as `FILE:LINE:COL: field: message`), a malformed `--set`, an unknown option; nothing was created |
| 130 | interrupted (Ctrl-C); the lab was taken down |
| other | `testbed exec` returns the command's own status (126: not executable, 127: not found); `testbed monitor` returns the monitor's (see below) |
"""

COMMAND_NOTES = {
    "up": {
        "about": "Brings a topology up and returns, leaving it running; it prints the run id and its nodes "
                 "(above 20 nodes a summary, as `status` does; `--nodes` for every node).",
        "examples": "testbed up topologies/pingpair.yaml\ntestbed exec host -- ping -c 3 10.0.0.2\n"
                    "testbed console guest\ntestbed down",
    },
    "status": {
        "about": "Lists the runs that are up, with their nodes; an orphaned run (its owner died) is marked. "
                 "A run of more than 20 nodes is summarised (counts by kind and state, the unikernels not "
                 "running by name) unless `--nodes` asks for every node; `--json` always has every node, and for "
                 "each running monitor its confinement (Seccomp mode, NoNewPrivs, CapEff: "
                 "[confinement.md](confinement.md)). A monitor its seccomp filter killed shows as "
                 "`killed by its sandbox (seccomp)`.",
        "examples": "testbed status\ntestbed status RUN_ID --nodes\ntestbed status --json",
    },
    "exec": {
        "about": "Replaces itself with the command, run inside the node's network namespace.",
        "examples": "testbed exec host -- ip -br addr",
    },
    "console": {
        "about": "Prints what a unikernel wrote to its console so far (`-f`: until its monitor exits).",
        "examples": "testbed console guest",
    },
    "down": {
        "about": "Removes exactly what a run recorded: namespaces, links, processes, files.",
        "examples": "testbed down\ntestbed down --orphans",
    },
    "run": {
        "about": "Up, traffic, checks, down, in one go; `--json` keeps the results, measured values and "
                 "monitor statistics.",
        "exit": "0 if every check passed, 1 if one failed or the lab could not come up, 2 for bad input.",
        "examples": "testbed run topologies/pingpair.yaml\n"
                    "testbed run topologies/udp-rx.yaml --set nodes.guest.io=event --json /tmp/udp-rx.json",
    },
    "agent": {
        "about": "A lab whose topology has `hosts:` runs one agent per host, started by the orchestrator through "
                 "an execnet gateway (ssh); each part is an ordinary run here, kept while the orchestrator renews "
                 "its lease. `status` lists the parts on this host; `testbed down --all` removes them. "
                 "See [scale-out.md](scale-out.md).",
        "examples": "testbed agent status --json",
    },
    "impair": {
        "about": "Changes an impaired link of a running lab (one with `impair:` in its topology, carried by a relay, "
                 "or by the monitor of its unikernel end): "
                 "the values given replace those fields and keep the others (`--clear` starts from a plain wire), "
                 "on both directions or one; `--down` drops every packet until `--up`. Values are written as in "
                 "the topology (docs/impairments.md) and checked the same way; it prints the link's new impairment.",
        "examples": "testbed impair RUN_ID client:eth0 --loss 5% --delay 10ms\n"
                    "testbed impair RUN_ID client:eth0 --direction forward --rate 10mbit --limit 200\n"
                    "testbed impair RUN_ID client:eth0 --down\ntestbed impair RUN_ID client:eth0 --clear --up",
    },
    "links": {
        "about": "Shows every link of a running lab: for impaired links, per direction, the state (up, down), the "
                 "impairment and the counters of its relay or monitor (sent, dropped, delayed, duplicated, "
                 "reordered, corrupted, queued); `--json` has every counter apart (loss, down and queue drops). "
                 "A plain link shows its "
                 "first kernel end's state and kernel counters (frames sent and received, drops).",
        "examples": "testbed links RUN_ID\ntestbed links RUN_ID --json",
    },
    "capture": {
        "about": "Captures an interface of a running lab into pcapng (interface name, ns timestamps) until Ctrl-C, "
                 "`-c N` frames or `down`; `-w -` streams to standard output for `wireshark -k -i -`. A guest NIC "
                 "is captured on its TAP; `capture:` on a link captures inside the monitor (every IO mode) and "
                 "keeps the files as the run's artefacts. See [capture.md](capture.md).",
        "examples": "testbed capture RUN_ID host:eth0 -w host.pcapng\n"
                    "testbed capture RUN_ID guest:service0 -w - | wireshark -k -i -\n"
                    "testbed capture RUN_ID host:eth0 --size 16000000 --files 4 -w ring.pcapng",
    },
    "graph": {
        "about": "Draws a topology, creating nothing: nodes by kind, links with their mechanism (veth, tap, "
                 "bridge, shm), addresses and every setting a link carries (rate, MTU, impairments, capture). "
                 "Deterministic output. See [capture.md](capture.md).",
        "exit": "0 drawn, 2 invalid topology (each problem as `FILE:LINE:COL: field: message`).",
        "examples": "testbed graph topologies/pingpair.yaml\n"
                    "testbed graph topologies/bridge3.yaml --format dot | dot -Tsvg > bridge3.svg",
    },
    "validate": {
        "about": "Loads and checks a topology, creating nothing.",
        "exit": "0 valid, 2 invalid (each problem on stderr as `FILE:LINE:COL: field: message`).",
        "examples": "testbed validate topologies/udp-rx.yaml --set nodes.guest.io=poll",
    },
    "schema": {
        "about": "Prints the topology format as JSON Schema; `--markdown` prints [topology.md](topology.md), "
                 "the same format as a reference.",
        "examples": "testbed schema > /tmp/topology.schema.json\ntestbed schema --markdown | less",
    },
    "monitor": {
        "about": "Execs the KVM monitor, tb-monitor; everything after `monitor` is the monitor's. GUEST is "
                 "an ELF path or a built-in image name.",
        "exit": "the monitor's (listed in its help above): the guest's own status, 1 for a bad image, "
                "125 for a setup error, 126 when the guest faulted, 128+S when killed by signal S; a monitor killed "
                "by its seccomp filter dies by SIGSYS (the shell's `Bad system call`; "
                "[confinement.md](confinement.md)).",
        "examples": "testbed monitor hello a b c\ntestbed monitor --mem=8 --stats=/tmp/hello.json hello",
    },
    "images": {
        "about": "Lists the built-in guest images a topology can name in `image:`.",
        "examples": "testbed images",
    },
    "experiment": {
        "about": "Runs every variant of the topology's `sweep:` `repeat` times, each on a fresh lab, and "
                 "writes a results file with a table of medians and ratios to the baseline.",
        "exit": "0 when every round passed its checks, 1 otherwise, 2 for bad input.",
        "examples": "testbed experiment topologies/udp-rx.yaml --repeat 1 --warmup 0 \\\n"
                    "    --set traffic.1.udpgen.seconds=1 --json /tmp/udp-rx-sweep.json",
    },
    "report": {
        "about": "Prints a results file's table again; `--plots DIR` writes PNG plots.",
        "examples": "testbed report /tmp/udp-rx-sweep.json --plots /tmp/plots",
    },
    "compare": {
        "about": "Compares two results files metric by metric, with a permutation test against the noise.",
        "exit": "0 unless a metric got worse beyond the noise and the threshold (1).",
        "examples": "testbed compare /tmp/udp-rx-sweep.json /tmp/udp-rx-sweep.json",
    },
}
