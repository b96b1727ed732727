"""Shifts and who works them: templates, the calendar, dated shifts, rosters and attendance,
pauses, and the gate that says whether dialing may go on. Imports `contacts` and `base`.
"""
