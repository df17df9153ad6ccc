"""The "mqtt" lines of `delestage check`: can we reach the broker, and what will discovery show?

The probe connects under its own client id, so a running service's session is left alone, and
publishes nothing. No line ever holds the password, only where it was read from.
"""

import asyncio
from collections.abc import Mapping

from tui.adapters.mqtt.base import BrokerError
from tui.compose.mqtt import connector_for, read_mqtt_password
from tui.core.config import Config
from tui.core.i18n import _
from tui.frontends.mqtt.service import topics_for
from tui.frontends.mqtt.topics import discovery_configs

CHECK_TIMEOUT = 5.0


async def _probe(config: Config, client_id: str, environ: Mapping[str, str] | None) -> None:
    assert config.mqtt is not None
    connector = connector_for(config.mqtt, config.path, client_id, environ, CHECK_TIMEOUT)
    async with connector.session(None):
        pass


def check_mqtt_lines(
    config: Config, environ: Mapping[str, str] | None = None
) -> tuple[bool, list[str]]:
    """(connected, lines): the connection line, then what discovery will publish."""
    mqtt = config.mqtt
    if mqtt is None:
        return True, [_("off (no [mqtt] section)")]
    topics = topics_for(mqtt)
    try:
        password, origin = read_mqtt_password(config, environ)
        who = _("as {user}").format(user=mqtt.username) if mqtt.username else _("anonymously")
        if password is not None:
            who += _(", password from {origin}").format(origin=origin)
        asyncio.run(_probe(config, f"delestage-check-{topics.node_id}", environ))
        ok, first = (
            True,
            _("connected to {url} {who}; states under {base}/").format(
                url=mqtt.url, who=who, base=topics.base
            ),
        )
    except BrokerError as error:
        ok, first = False, str(error)
    lines = [first]
    configs = discovery_configs(
        topics,
        [(c.index, c.name) for c in config.channels],
        tempo=config.tempo is not None,
        rated=[c.index for c in config.channels if c.power is not None],
        meter=config.meter is not None,
        orders={c.index: [o.value for o in c.pilot.named] for c in config.channels if c.pilot},
    )
    if not configs:
        lines.append(_('Home Assistant discovery off (discovery_prefix = "")'))
        return ok, lines
    lines.append(
        _(
            "discovery will publish {count} entities on device delestage_{node} "
            "(retained, availability {availability}):"
        ).format(count=len(configs), node=topics.node_id, availability=topics.availability)
    )
    for topic, entity in configs.items():
        component = topic.split("/")[-4]
        lines.append(f"  {topic}  {component} {entity['name']!r}")
    return ok, lines
