"""Scheduled work, as data: the tick's snapshot of a workspace (world.py), the nudges each
declared with its rule (nudges.py), barrier escalation (escalations.py), the weekly budget
(budget.py), and what is due as of an instant (due.py). bot/tick.py writes it to the outbox."""
