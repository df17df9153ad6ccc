"""The broker connection for ``[mqtt]``: used by the MQTT front end (bridge, `check` lines)."""

from collections.abc import Callable, Mapping
from pathlib import Path

from tui.adapters.mqtt.client import AiomqttConnector, mqtt_path, read_password
from tui.core.config import Config, MqttConfig


def connector_for(
    mqtt: MqttConfig,
    config_path: str,
    client_id: str,
    environ: Mapping[str, str] | None = None,
    connect_timeout: float = 10.0,
    report: Callable[[str], None] | None = None,
) -> AiomqttConnector:
    """The connector to the configured broker; the password is read again at every attempt."""
    base = Path(config_path).parent

    def password() -> str | None:
        return read_password(mqtt, environ, base)[0]

    ca_file = mqtt.ca_file and str(mqtt_path(mqtt.ca_file, base, environ))
    return AiomqttConnector(
        mqtt.url,
        client_id=client_id,
        username=mqtt.username,
        password=password,
        ca_file=ca_file or None,
        connect_timeout=connect_timeout,
        **({"report": report} if report is not None else {}),
    )


def read_mqtt_password(
    config: Config, environ: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """(password or None, where it came from) for ``[mqtt]``, a relative ``password_file`` read
    from the configuration file's folder. Raises BrokerError for an unusable password file."""
    assert config.mqtt is not None
    return read_password(config.mqtt, environ, Path(config.path).parent)
