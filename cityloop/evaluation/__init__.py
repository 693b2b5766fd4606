"""Supervise and evaluate: scorecards, public disclosure and demand analysis.

Pure computation over columnar arrays (NumPy); the SQL adapter builds the frames
(``cityloop.adapters.sql.views_evaluation``) and the API renders the answers.
"""
