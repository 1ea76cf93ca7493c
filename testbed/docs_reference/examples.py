"""docs_reference.examples: one YAML example per topology model, shown in docs/topology.md and validated by a test."""
from __future__ import annotations

# Model name -> YAML of that model alone (what goes under the key that holds it).
MODEL_EXAMPLES = {
    "Topology": """\
name: pingpair
nodes:
  host:  {kind: netns}
  guest: {kind: unikernel, image: ping-serve, memory: 32, io: hypercall}
links:
  - endpoints: [host:eth0, guest:service0]
    subnet: 10.0.0.0/30
checks:
  - ping: {from: host, to: guest, count: 100, interval: 0.0005, max_loss: 0}
""",
    "NetnsNode": """\
kind: netns
sysctls: {net.ipv4.ip_forward: 1}
routes: [{dst: 10.1.0.0/24, via: 10.0.0.2}]
commands: ["ip addr show"]
""",
    "UnikernelNode": """\
kind: unikernel
image: udp-sink          # or a path: build/my-app.hvt
memory: 32
io: hybrid
macs: {service0: "02:00:00:00:00:01"}
sleep: hlt               # idle: halted in KVM, woken by an NMI (default exit: a POLL exit to the monitor)
halt_poll_ns: 200000     # KVM polls 200 µs for the wake before it gives the core away
""",
    "BridgeNode": """\
kind: bridge
subnet: 10.0.0.0/24
""",
    "Route": "{dst: default, via: 10.0.0.1}\n",
    "Host": """\
ssh: root@lab2
python: /opt/testbed/.venv/bin/python
underlay: 192.168.50.2
underlay_mtu: 1500
""",
    "Cpus": "{vcpu: 1, io: 0, io_nice: -5}\n",
    "ConsoleLimits": "{max_bytes: 67108864, rate: 4194304}\n",
    "BlockDevice": """\
path: disk.img
sector_size: 4096
create: 1048576
""",
    "Link": """\
endpoints: [host:eth0, guest:service0]
addresses: [10.0.0.1/30, 10.0.0.2/30]
mtu: 1500
rate: 100mbit
""",
    "LinkImpairment": """\
delay: 10ms              # both ways
jitter: 1ms
distribution: normal
loss: 1%
forward: {rate: 10mbit, limit: 500}   # first endpoint -> second only
reverse: {loss: 0%}
seed: 7                  # default: from the topology's seed and the link
engine: ours             # the default; netem: the kernel's qdisc, where the machine has it (then no seed)
""",
    "Impairment": """\
loss: 2%
delay: 5ms
reorder: 1%
duplicate: 0.5%
corrupt: 0.1%
""",
    "ScheduleEvent": "{at: 2s, link_down: client:eth0}\n",
    "ImpairChange": """\
link: client:eth0
direction: forward
loss: 20%
delay: 50ms
""",
    "GilbertElliott": "{p: 1%, r: 10%, bad_loss: 100%, good_loss: 0%}\n",
    "Capture": """\
at: guest:service0       # the end to capture (default: the unikernel end)
size: 16MB               # per file
files: 4                 # a ring: guest-service0.0.pcapng ... .3.pcapng
snaplen: 65535
""",
    "Check": "ping: {from: host, to: guest, max_loss: 0}\n",
    "Traffic": """\
name: flood
delay: 0.5
udpgen: {from: host, to: guest, rate: 50k, seconds: 5}
""",
    "Sweep": """\
parameters:
  nodes.guest.io: [hypercall, poll, event, hybrid]
baselines:
  ceiling: {traffic.0: {name: sink, tapread: {node: guest}}}
repeat: 3
metrics: [sink.pps, sink.exits_per_packet]
primary: sink.pps
""",
    "PingCheck": "{from: host, to: guest, count: 100, interval: 0.0005, max_loss: 0, max_rtt_ms: 5}\n",
    "DeliveredCheck": "{from: flood, to: sink, min_ratio: 0.9}\n",
    "RxRateCheck": "{traffic: sink, min_pps: 1000}\n",
    "MonitorCheck": "{node: guest, max_exits_per_packet: 2, max_drops: 0}\n",
    "ExitStatusCheck": "{node: guest, equals: 0, timeout: 5}\n",
    "ConsoleCheck": "{node: guest, matches: \"^ready on service0\"}\n",
    "CommandCheck": "{node: host, run: \"ip -br link\", contains: eth0}\n",
    "UdpgenTraffic": "{from: host, to: guest, port: 5000, size: 1258, rate: max, seconds: 5, gso: 32}\n",
    "PingTraffic": "{from: host, to: guest, count: 1000, flood: true}\n",
    "Iperf3Traffic": "{client: a, server: b, protocol: udp, seconds: 2, rate: 100M}\n",
    "AppTraffic": "{node: guest, linger: 1.2}\n",
    "TapreadTraffic": "{node: guest, nic: service0}\n",
    "CountersTraffic": "{node: host, interface: eth0}\n",
}
