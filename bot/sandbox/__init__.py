"""The local sandbox: the whole app with an in-process Slack, no Slack account needed."""
