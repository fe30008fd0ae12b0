"""Dockable panels of the main window (study browser; later: measurements, findings, report)."""
