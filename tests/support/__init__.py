"""Helpers shared by the test modules: fakes (Phidget22, RTE, an in-memory MQTT connector), a real
Mosquitto, service and UI harnesses, policy and signals builders. No test lives here, and no test
module imports another test module: what two of them share is in this package (or, for fixtures,
in tests/conftest.py)."""
