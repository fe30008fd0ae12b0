"""Dialogs the window opens to ask the user something it must not guess."""
