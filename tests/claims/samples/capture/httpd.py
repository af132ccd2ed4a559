"""A tiny HTTP server for making proof captures (stdlib only): answers GET with the status the
mode file holds (200 unless it says otherwise), read again for every request.
Usage: python httpd.py ADDRESS PORT MODEFILE
"""

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        try:
            with open(self.server.modefile) as handle:
                status = int(handle.read().strip() or 200)
        except (OSError, ValueError):
            status = 200
        body = b"ok\n" if status == 200 else b"unavailable\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = HTTPServer((sys.argv[1], int(sys.argv[2])), Handler)
    server.modefile = sys.argv[3]
    server.serve_forever()
