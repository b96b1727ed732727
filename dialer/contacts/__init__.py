"""The raw base: phone numbers, companies, campaigns, the do-not-call list, erasure, and the
import of contact files (`imports`). Imports `base` only.
"""
