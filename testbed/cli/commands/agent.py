"""cli.commands.agent: `testbed agent`: this host's parts of labs that span hosts (list them; keep one to its lease)."""
from __future__ import annotations

import json
import sys
import time


def register(sub) -> None:
    parser = sub.add_parser("agent", help="this host's parts of labs that span hosts (the orchestrator reaches the "
                            "agent itself through an execnet gateway)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    status = verbs.add_parser("status", help="the parts on this host: cluster, host, run, lease left")
    status.add_argument("--json", action="store_true", help="as JSON")
    status.set_defaults(func=cmd_status)
    keep = verbs.add_parser("keep", help="(started by the agent) wait for a part's down, or take it down when "
                            "its lease lapses")
    keep.add_argument("run", metavar="RUN_ID")
    keep.set_defaults(func=cmd_keep)


def cmd_status(args) -> int:
    from testbed.cluster import lease
    from testbed.down import state

    parts = []
    for run_id in state.run_ids():
        run = state.RunDir.for_run(run_id)
        owner = lease.read_owner(run)
        if owner is not None:
            expires = lease.expires(run)
            left = None if expires is None else round(expires - time.time(), 1)
            parts.append({"run_id": run_id, **owner, "lease_left_s": left})
    if args.json:
        print(json.dumps(parts, indent=1))
    elif not parts:
        print("no parts of labs that span hosts here")
    for part in parts if not args.json else ():
        print(f"{part['run_id']}: cluster {part['cluster']}, host {part['host']}, lease {part['lease_left_s']} s")
    return 0


def cmd_keep(args) -> int:
    from testbed.cluster import lease
    from testbed.down import state

    outcome = lease.keep(state.RunDir.for_run(args.run))
    print(f"keeper {args.run}: {outcome}", file=sys.stderr)
    return 0
