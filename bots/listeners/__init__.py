"""Bolt listeners; each module has ``register(app, assistant, settings)``."""
