"""The pure core: forecast model, shedding policy, configuration model.

Nothing here reads the clock, touches files or the network, or imports Textual, Phidget22 or
httpx: time and data come in as arguments.
"""
