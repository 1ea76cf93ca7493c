"""cli.commands: one module per `testbed` subcommand (or group of closely related ones)."""
