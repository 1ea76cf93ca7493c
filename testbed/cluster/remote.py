"""cluster.remote: what an execnet gateway runs on a host (its source is sent over): the agent, serving the channel."""

if __name__ == "__channelexec__":  # execnet runs this module's text with `channel` defined
    import sys

    try:
        from testbed.cluster.agent import serve
    except ImportError as exc:  # the first request's answer says why, in one line
        channel.send({"error": f"testbed cannot be imported by {sys.executable} there: {exc} "  # noqa: F821
                               "(install it on the host, or give the host's `python:`)"})
    else:
        serve(channel)  # noqa: F821 - defined by execnet
