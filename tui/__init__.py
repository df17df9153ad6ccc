"""delestage: an Ecowatt load-shedding controller for a Phidget 1017 relay board."""

__version__ = "0.1.0"
