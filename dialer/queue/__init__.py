"""The dialer's queue: the claim and its lanes, the open calling windows, leases, why the queue
is empty, retries and the outcome. Imports every wing but `reports`.
"""
