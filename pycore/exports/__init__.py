"""Exported chat histories: a service-neutral model of an export, one reader per service, the
history estimate (`promptwatt history`) and the extension's import records."""
