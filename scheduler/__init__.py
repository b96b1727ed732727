"""The time-driven side of Cascade: APScheduler jobs that drive the core at its boundaries."""
