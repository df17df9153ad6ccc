"""Front ends: the command line, the headless logger, the Textual UI."""
