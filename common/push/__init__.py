"""Push notifications: what a notification is, when it may be sent, and how it is delivered."""
