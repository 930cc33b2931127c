"""Files the application ships with: palette, style sheets, SVG icons and the application icon.

Installed as the package `workbench.resources` (see pyproject.toml), so they are found through
`importlib.resources.files("workbench.resources")` in a checkout and in an installed wheel alike.
"""
