"""The ground every wing stands on: the engine and its dialects, the models and schema,
settings, errors, the clock, locks, idempotency, users and tokens, the scheduler's beats and
upkeep, and the company-name fold the database shares. Imports no other wing.
"""
