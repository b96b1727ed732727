"""What the floor did: the funnel, the timesheet, the live floor and quality control per
operator. May import every wing.
"""
