"""The billing domain: pure rules and the services that apply them.

Nothing here imports Slack or SQL, and nothing reads the wall clock: every service
receives the instant it acts at, so timelines and tests control time.
"""
