"""cli.commands.capture: `testbed capture LAB NODE:IF [-w FILE|-]` captures a running lab's interface into pcapng."""
from __future__ import annotations

import sys

EXIT_OK, EXIT_FAILED = 0, 1


def register(sub) -> None:
    parser = sub.add_parser("capture", help="capture a running lab's interface into pcapng (Wireshark, tcpdump -r)")
    parser.add_argument("lab", metavar="LAB", help="run id (see `testbed status`)")
    parser.add_argument("endpoint", metavar="NODE:IF", help="the interface, as the topology names it")
    parser.add_argument("-w", dest="out", metavar="FILE|-",
                        help="pcapng file, or - to stream to standard output (default: NODE-IF.pcapng here)")
    parser.add_argument("--size", type=int, metavar="BYTES", help="bytes per file before the ring moves on")
    parser.add_argument("--files", type=int, default=1, metavar="N", help="files in the ring (with --size; default 1)")
    parser.add_argument("--snaplen", type=int, metavar="BYTES", help="bytes kept per frame (default 65535)")
    parser.add_argument("-c", "--count", type=int, metavar="N", help="stop after N frames")
    parser.set_defaults(func=run)


def run(args) -> int:
    from testbed import paths
    from testbed.capture.points import TOOL, tool_argv
    from testbed.capture.runtime import resolve, run_capture
    from testbed.errors import LabError
    from testbed.lab import Lab

    try:
        lab = Lab.attach(args.lab)
        end = resolve(lab, args.endpoint)
        tool = str(paths.tool_path(TOOL))
    except (LabError, paths.MissingBuildError) as exc:
        print(f"testbed capture: {exc}", file=sys.stderr)
        return EXIT_FAILED
    out = args.out or f"{args.endpoint.replace(':', '-')}.pcapng"
    argv = tool_argv(tool, end.namespace, end.ifname, end.label, out, size=args.size, files=args.files,
                     snaplen=args.snaplen, count=args.count, peer=end.peer)
    sys.stdout.flush()  # the stream is the tool's from here: nothing of ours may be buffered before it
    return run_capture(lab, argv, end.label)
