"""HTTP routers, one per part of the contract."""
