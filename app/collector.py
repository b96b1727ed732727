"""The collector of a long-lived process: the service's, and its floor's (`app.apart`)."""

import gc


def settle_collector() -> None:
    """Freeze what was built so far and space the collector's passes for a process that
    serves for long."""
    # Everything built so far lives as long as the process: keep it out of the
    # collector's full passes. Those walked it all and stalled every request in flight
    # for 90–110 ms, a few times a minute under load.
    gc.collect()
    gc.freeze()
    # An open stream holds objects (the ASGI stack's coroutines, its task, its watch)
    # for as long as it is open: with a console per operator, each full pass walked
    # 300,000 of them (340 a stream under a general SSE response) and stalled the process
    # for 150–450 ms, every few seconds, kept coming by the snapshot's objects, each
    # living a second. Young passes every 10,000 objects let those die young, and a
    # full pass comes every 1,000 young ones (minutes apart) rather than every 100.
    # The middle generation is walked every 3 young passes, not 10: what survives a
    # young pass is mostly the snapshot of the moment, and ten passes' worth made each
    # middle pass a stall of 50 ms (3,000 operators); three's, 15–22 ms, for the same
    # time in all. The full pass's 333 keeps it every 1,000 young ones, as before.
    gc.set_threshold(10_000, 3, 333)
