"""Personalization: per-user preferences learned from feedback (preferences, context), the
policies that choose a persona from them (policies), offline evaluation of those policies
(offline_eval), and activity anomaly checks (anomaly). Pure code.

Import the submodules directly: policies and offline_eval need numpy, which the chat function
loads only when a policy first samples, to keep it out of cold start."""
