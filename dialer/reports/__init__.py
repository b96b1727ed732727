"""What the floor did: the funnel, the timesheet and the live floor. May import every wing."""
