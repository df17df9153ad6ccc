"""What the real Home Assistant tests read on Home Assistant's side (mqtt_statestream, through
the test's broker): an entity's id as Home Assistant makes it, its state, a bounded wait for a
state, and the log words that may never appear about delestage's entities."""

from support import home_assistant as ha
from support.mosquitto import Watcher
from support.service import wait_for


def bad_log(node: str) -> tuple[str, ...]:
    """What Home Assistant may never log about the entities of node ``node``."""
    return (
        "Template variable",
        "Erroneous JSON",
        "Invalid option",
        "Invalid state message",
        "value_json",
        "is undefined",
        f"delestage_{node}",  # any line naming one of our entities
        f"delestage/{node}/",  # or one of our topics
    )


def entity(node: str, domain: str, name: str) -> str:
    """Home Assistant's entity id: the device name, then the entity name, slugified."""
    slug = "".join(c if c.isalnum() else "_" for c in f"delestage {node} {name}".lower())
    return f"{domain}.{'_'.join(filter(None, slug.split('_')))}"


def ha_state(watcher: Watcher, entity_id: str, field: str = "state") -> str | None:
    return watcher.last(f"{ha.STATE_BASE}{entity_id.replace('.', '/')}/{field}")


def settles(watcher: Watcher, topic: str, want: str, seconds: float, what: str) -> None:
    """Until the last message on ``topic`` is ``want``."""
    try:
        wait_for(lambda: watcher.last(topic) == want, seconds)
    except AssertionError:
        raise AssertionError(f"{what}: {watcher.last(topic)!r}, expected {want!r}") from None


def wait_state(watcher: Watcher, entity_id: str, want: str, seconds: float = 60) -> None:
    topic = f"{ha.STATE_BASE}{entity_id.replace('.', '/')}/state"
    settles(watcher, topic, want, seconds, entity_id)
