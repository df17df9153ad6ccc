"""The MQTT broker: ``base`` is the protocol the bridge talks to, ``client`` the aiomqtt one."""
