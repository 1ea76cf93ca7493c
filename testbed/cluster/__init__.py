"""cluster: labs that span hosts: partition by host, one agent per host through execnet, VXLAN between them, leases."""
