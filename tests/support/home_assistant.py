"""A real Home Assistant core for the tests: installed once in its own virtual environment (it
needs Python 3.13, newer than the project's), started on a throw-away configuration directory
against the test's Mosquitto.

Home Assistant 2025.4 sets MQTT up only through a config entry (YAML broker settings are long
gone): the entry is written to ``.storage/core.config_entries`` before the first start, exactly
as the UI's config flow would leave it, and Home Assistant migrates it on load. The test reads
Home Assistant's side through MQTT alone, so it needs no token: ``mqtt_statestream`` publishes
every entity's state and attributes under ``hastate/``, a template sensor counts the MQTT
entities every second, and an automation runs any action the test publishes on
``hatest/action`` (a select option, a button press), as a dashboard would.

``python tests/support/home_assistant.py install`` prepares the environment (``.ci/run`` does
this before the suite); ``DELESTAGE_HA_VENV`` moves it, ``DELESTAGE_HA_PYTHON`` names the
interpreter.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HA_VERSION = "2025.4.4"
# Home Assistant's own pins (its manifests) for what the test loads: the default integrations,
# MQTT and mqtt_statestream. Installed up front: Home Assistant runs with --skip-pip.
REQUIREMENTS = (
    f"homeassistant=={HA_VERSION}",
    "home-assistant-frontend==20250411.0",
    "paho-mqtt==2.1.0",
    "Pillow==11.1.0",
    "cronsim==2.6",
    "ifaddr==0.2.0",
    "psutil-home-assistant==0.0.1",
    "securetar==2025.2.1",
)
MARKER = ".delestage-ready"
STATE_BASE = "hastate/"  # mqtt_statestream's base topic
ACTION_TOPIC = "hatest/action"


def venv_dir() -> Path:
    if os.environ.get("DELESTAGE_HA_VENV"):
        return Path(os.environ["DELESTAGE_HA_VENV"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "delestage" / f"ha-{HA_VERSION}"


def _is_313(python: str) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info >= (3, 13))"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.stdout.strip() == "True"


def find_python() -> str | None:
    """A Python 3.13 or newer: $DELESTAGE_HA_PYTHON, pyenv's, or python3.13 on the PATH."""
    candidates = []
    if os.environ.get("DELESTAGE_HA_PYTHON"):
        candidates.append(os.environ["DELESTAGE_HA_PYTHON"])
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=30)
        roots.insert(0, done.stdout.strip())
    for root in filter(None, roots):
        candidates += sorted(map(str, Path(root).glob("versions/3.13*/bin/python3.13")))
    candidates += filter(None, [shutil.which("python3.13")])
    return next((python for python in candidates if _is_313(python)), None)


def hass_command() -> Path:
    return venv_dir() / "bin" / "hass"


def installed() -> bool:
    marker = venv_dir() / MARKER
    return marker.exists() and marker.read_text().split() == list(REQUIREMENTS)


def install(python: str) -> float:
    """Install Home Assistant in its venv unless already there; the seconds it took."""
    if installed():
        return 0.0
    started = time.monotonic()
    venv = venv_dir()
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *REQUIREMENTS]
    subprocess.run(pip, check=True)
    (venv / MARKER).write_text("\n".join(REQUIREMENTS) + "\n")
    return time.monotonic() - started


def configuration(broker_port: int, http_port: int) -> str:
    return f"""\
homeassistant:
  name: delestage test
  latitude: 48.85
  longitude: 2.35
  elevation: 35
  unit_system: metric
  time_zone: Europe/Paris
  country: FR
  currency: EUR
http:
  server_host: 127.0.0.1
  server_port: {http_port}
logger:
  default: warning
mqtt_statestream:
  base_topic: {STATE_BASE.rstrip("/")}
  publish_attributes: true
template:
  - trigger:
      - platform: time_pattern
        seconds: "/1"
    sensor:
      - name: MQTT entities
        state: "{{{{ integration_entities('mqtt') | count }}}}"
# (The older spelling, trigger/platform/service, that every release since 2023 reads.)
automation:
  - alias: test action
    mode: queued
    trigger:
      - platform: mqtt
        topic: {ACTION_TOPIC}
    action:
      - service: "{{{{ trigger.payload_json.action }}}}"
        target: "{{{{ trigger.payload_json.target | default({{}}) }}}}"
        data: "{{{{ trigger.payload_json.data | default({{}}) }}}}"
# broker port {broker_port}: in .storage/core.config_entries
"""


MQTT_ENTRY_ID = "01delestagetestmqttentry0"


def config_entries(broker_port: int) -> dict[str, object]:
    """The MQTT config entry as storage version 1.1: Home Assistant fills in the rest."""
    entry = {
        "entry_id": MQTT_ENTRY_ID,
        "version": 1,
        "minor_version": 1,
        "domain": "mqtt",
        "title": "Mosquitto",
        "data": {"broker": "127.0.0.1", "port": broker_port},
        "options": {},
        "source": "user",
    }
    return {
        "version": 1,
        "minor_version": 1,
        "key": "core.config_entries",
        "data": {"entries": [entry]},
    }


class HomeAssistant:
    def __init__(self, config_dir: Path, broker_port: int, http_port: int) -> None:
        self.config_dir = config_dir
        self.log = config_dir / "home-assistant.log"
        self.process: subprocess.Popen[bytes] | None = None
        storage = config_dir / ".storage"
        storage.mkdir(parents=True, exist_ok=True)
        (config_dir / "configuration.yaml").write_text(configuration(broker_port, http_port))
        (storage / "core.config_entries").write_text(json.dumps(config_entries(broker_port)))

    def start(self) -> None:
        command = [
            str(hass_command()),
            "--config",
            str(self.config_dir),
            "--skip-pip",
            "--log-file",
            str(self.log),
            "--log-no-color",
        ]
        output = (self.config_dir / "hass.out").open("wb")
        self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        """Stop as systemd would (SIGTERM): Home Assistant saves its registries on the way."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def storage(self, key: str) -> dict[str, object]:
        data: dict[str, object] = json.loads((self.config_dir / ".storage" / key).read_text())
        return data

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def main(argv: list[str]) -> int:
    if argv[1:] != ["install"]:
        print("usage: home_assistant.py install", file=sys.stderr)
        return 2
    python = find_python()
    if python is None:
        print("home assistant: no Python 3.13 here; its test will be skipped")
        return 0
    seconds = install(python)
    where = venv_dir()
    said = f"installed in {seconds:.0f} s" if seconds else "already installed"
    print(f"home assistant {HA_VERSION}: {said} ({where}, Python {python})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
