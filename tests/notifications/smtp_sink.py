"""An SMTP server of the test's own (aiosmtpd) on a free loopback port: it keeps what it accepts and
answers chosen recipients with a chosen refusal."""
from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPSink:
    def __init__(self, *, data_delay: float = 0.0):
        self.messages = []
        self.refuse: dict[str, str] = {}     # recipient -> SMTP answer, e.g. "550 5.1.1 No such user"
        self.data_delay = data_delay
        self.lock = threading.Lock()
        self.port = _free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            time.sleep(self.data_delay)   # a slow server: widens the window between sending and recording
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def received(self):
        with self.lock:
            return list(self.messages)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
