"""The request-driven side of Cascade: the FastAPI application and the command line."""
