"""Showing the case to the heart team: the side-by-side comparison with a prior study and presentation mode."""
