"""Capture-lab HTTP/3 server: serves tests/lab/sites/www over QUIC (aioquic) on UDP, next to nginx
on TCP, with the lab certificate. One access-log line per request, in nginx's lab format
(`ip:port server_port host "request" status conn= req= ssl= resumed= h2= auth=`), plus `h3=h3`.

Usage: python h3server.py CERT KEY ROOT ACCESS_LOG [HOST [PORT]]   (run-scenario.sh starts it)
"""

import asyncio
import mimetypes
import os
import sys

from aioquic.asyncio import serve
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ProtocolNegotiated

CERT, KEY, ROOT, LOG = sys.argv[1:5]
HOST = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1"
PORT = int(sys.argv[6]) if len(sys.argv) > 6 else 443
log = open(LOG, "a", buffering=1)
conn_ids = iter(range(1, 1 << 30))


class H3Server(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._http = None
        self._conn = next(conn_ids)
        self._requests = 0

    def quic_event_received(self, event):
        if isinstance(event, ProtocolNegotiated) and event.alpn_protocol in H3_ALPN:
            self._http = H3Connection(self._quic)
        if self._http is not None:
            for e in self._http.handle_event(event):
                if isinstance(e, HeadersReceived):
                    self.request(e)

    def request(self, e):
        h = {k.decode(): v.decode() for k, v in e.headers}
        method, path, host = h.get(":method", "?"), h.get(":path", "/"), h.get(":authority", "")
        path_only = path.split("?")[0]
        # As nginx's locations.inc: any /img/NAME.gif is the one committed GIF.
        if path_only.startswith("/img/"):
            path_only = "/img/pixel.gif"
        file = os.path.normpath(os.path.join(ROOT, path_only.lstrip("/") or "index.html"))
        if file.startswith(os.path.abspath(ROOT)) and os.path.isdir(file):
            file = os.path.join(file, "index.html")
        if file.startswith(os.path.abspath(ROOT)) and os.path.isfile(file):
            status, body = 200, open(file, "rb").read()
            ctype = mimetypes.guess_type(file)[0] or "application/octet-stream"
        else:
            status, body, ctype = 404, b"not found\n", "text/plain"
        headers = [
            (b":status", str(status).encode()),
            (b"content-type", ctype.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"alt-svc", f'h3=":{PORT}"; ma=86400'.encode()),
        ]
        self._http.send_headers(e.stream_id, headers)
        self._http.send_data(e.stream_id, body, end_stream=True)
        self.transmit()
        self._requests += 1
        addr = self._quic._network_paths[0].addr if self._quic._network_paths else ("?", 0)
        log.write(
            f'{addr[0]}:{addr[1]} {PORT} {host} "{method} {path} HTTP/3" {status} '
            f'conn=q{self._conn} req={self._requests} ssl=TLSv1.3 resumed=. h2= auth="-" h3=h3\n'
        )


async def main():
    # Idle connections close after 2 s, like nginx's keepalive_timeout in the QUIC scenarios.
    config = QuicConfiguration(alpn_protocols=H3_ALPN, is_client=False, idle_timeout=2.0)
    config.load_cert_chain(CERT, KEY)
    # Session tickets: a returning client resumes (TLS 1.3 PSK) and may send 0-RTT requests.
    tickets = {}
    await serve(
        HOST,
        PORT,
        configuration=config,
        create_protocol=H3Server,
        session_ticket_fetcher=tickets.pop,
        session_ticket_handler=lambda t: tickets.__setitem__(t.ticket, t),
    )
    print(f"h3server: listening on udp {HOST}:{PORT}", flush=True)
    await asyncio.Future()


asyncio.run(main())
