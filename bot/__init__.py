"""The Slack edge of Cascade: the Bolt app, its listeners, the CLI and the sandbox."""
