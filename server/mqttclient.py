"""One way to build the server's paho clients (the ingest worker, the health listener).

MQTT v5, TCP_NODELAY (Nagle and delayed ACK cost ~88 ms per QoS 1 round trip,
``docs/platform-facts.md``), the account's user name and password, TLS when a CA file is set, and
a reconnect delay of 1 to 10 s. The caller sets its own callbacks.
"""

import socket
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr

from server.config import ServerSettings


def make_client(
    settings: ServerSettings,
    *,
    client_id: str,
    username: str | None,
    password: SecretStr | None,
    manual_ack: bool = False,
) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    client.on_socket_open = _no_delay
    if username is not None:
        client.username_pw_set(username, None if password is None else password.get_secret_value())
    if settings.mqtt_tls_ca is not None:
        client.tls_set(ca_certs=str(settings.mqtt_tls_ca))
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client


def _no_delay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
