"""The MQTT front end: the controller on a broker, and in Home Assistant through discovery."""
