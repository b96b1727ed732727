"""The cascade after the call: questionnaire answers, routing to the MPK, saturation, accounts
and their hand-offs between desks, the managers' policy. Imports `shifts`, `contacts`, `base`.
"""
