"""The living demo city and the seeds' cases as scenarios.

Everything here drives a running CityLoop only through its public HTTP interfaces (telemetry,
Open311, hotline, grid reports, event and plan actions as the demo users, citizens' links), so
it can target a remote deployment. The city folder gives what a real city knows about itself:
sensor ids, territory, the report corpus. See docs/simulation.md.
"""
