"""Relay boards: the Phidget 1017 and a simulated board, behind one protocol."""
