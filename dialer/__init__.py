"""The core of Cascade: models and every rule of the domain."""
