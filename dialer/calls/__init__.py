"""What the softphone says of a call: its events, ring and talk times, the per-operator
hook, and what is kept of it: the recording, its quality-control review, the consent said.
Imports `sales`, `shifts`, `contacts`, `base`.
"""
