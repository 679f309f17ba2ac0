"""Notification producers: who gets a weekly insight or a re-engagement nudge, what it says and
its id (pure, `weekly.py`, `reengagement.py`), and the services that run them (`service.py`).
What they produce goes to the push sender (common/push/) on the `notifications` topic."""
