"""topology.schema: the topology file format as frozen pydantic v2 models, one module per part of the file.

Every name is re-exported here, so `from testbed.topology.schema import X` is the one way to import the schema."""
from __future__ import annotations

from testbed.topology.schema.checks import (
    Check,
    CommandCheck,
    ConsoleCheck,
    DeliveredCheck,
    ExitStatusCheck,
    MonitorCheck,
    PingCheck,
    RxRateCheck,
)
from testbed.topology.schema.capture import Capture
from testbed.topology.schema.common import MAC_RE, NAME_RE, FromTo, Strict
from testbed.topology.schema.hosts import Host
from testbed.topology.schema.impair import GilbertElliott, Impairment, LinkImpairment
from testbed.topology.schema.links import (
    ENDPOINT_RE,
    RATE_RE,
    Address,
    Endpoint,
    EndpointField,
    EndpointRef,
    Link,
    split_endpoint,
)
from testbed.topology.schema.nodes import (
    IO_MODES,
    MEMORY_MAX_MIB,
    MEMORY_MIN_MIB,
    NODE_KINDS,
    NODE_MODELS,
    SECTOR_SIZE_MAX,
    SECTOR_SIZE_MIN,
    BlockDevice,
    BridgeNode,
    Cpus,
    IoMode,
    NetnsNode,
    Node,
    Route,
    UnikernelNode,
)
from testbed.topology.schema.schedule import ImpairChange, ScheduleEvent
from testbed.topology.schema.sweep import Sweep
from testbed.topology.schema.topology import FIELD_HINTS, Topology, json_schema
from testbed.topology.schema.traffic import (
    PACKET_RATE_RE,
    TRAFFIC_KINDS,
    AppTraffic,
    CountersTraffic,
    Iperf3Traffic,
    PingTraffic,
    TapreadTraffic,
    Traffic,
    UdpgenTraffic,
)

__all__ = [
    "ENDPOINT_RE",
    "FIELD_HINTS",
    "IO_MODES",
    "MAC_RE",
    "MEMORY_MAX_MIB",
    "MEMORY_MIN_MIB",
    "NAME_RE",
    "NODE_KINDS",
    "NODE_MODELS",
    "PACKET_RATE_RE",
    "RATE_RE",
    "SECTOR_SIZE_MAX",
    "SECTOR_SIZE_MIN",
    "TRAFFIC_KINDS",
    "Address",
    "AppTraffic",
    "BlockDevice",
    "BridgeNode",
    "Capture",
    "Check",
    "CommandCheck",
    "Cpus",
    "ConsoleCheck",
    "CountersTraffic",
    "DeliveredCheck",
    "Endpoint",
    "EndpointField",
    "EndpointRef",
    "ExitStatusCheck",
    "FromTo",
    "GilbertElliott",
    "Host",
    "ImpairChange",
    "Impairment",
    "IoMode",
    "Iperf3Traffic",
    "Link",
    "LinkImpairment",
    "MonitorCheck",
    "NetnsNode",
    "Node",
    "PingCheck",
    "PingTraffic",
    "Route",
    "ScheduleEvent",
    "RxRateCheck",
    "Strict",
    "Sweep",
    "TapreadTraffic",
    "Topology",
    "Traffic",
    "UdpgenTraffic",
    "UnikernelNode",
    "json_schema",
    "split_endpoint",
]
