"""Lessons: the lecture as guided, checkable experiments (file format, goals, the headless checker)."""
