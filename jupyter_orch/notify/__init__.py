"""Notifications: messages, the channels' senders, and delivery from the outbox."""
