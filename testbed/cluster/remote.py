"""cluster.remote: what an execnet gateway runs on a host (its source is sent over): the agent, serving the channel."""

if __name__ == "__channelexec__":  # execnet runs this module's text with `channel` defined
    from testbed.cluster.agent import serve

    serve(channel)  # noqa: F821 - defined by execnet
