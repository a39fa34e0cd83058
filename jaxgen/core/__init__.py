"""The one training runner shared by every family."""
