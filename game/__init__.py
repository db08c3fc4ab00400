"""The reflex buzzer game server: Redis holds the state, streams render each player's view."""
