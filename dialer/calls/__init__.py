"""What the softphone says of a call: its events, ring and talk times, and the per-operator
hook. Imports `sales`, `shifts`, `contacts`, `base`.
"""
