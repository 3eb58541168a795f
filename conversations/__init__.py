"""Cascade's flows and services: what happens, independent of how Slack delivers it."""
