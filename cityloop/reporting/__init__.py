"""Periodic reports: `cityloop report` writes an HTML page and a PDF with charts and tables."""
