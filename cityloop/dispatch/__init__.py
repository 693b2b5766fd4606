"""Dispatch: classification, location, de-duplication, routing, deadlines and escalation.

Each decision returns its reasons (which rule, which keywords, which confidence) so that the UI
can show why.
"""
