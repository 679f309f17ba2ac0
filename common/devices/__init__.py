"""A user's devices: FCM registration tokens with their platform and when they were last seen."""
