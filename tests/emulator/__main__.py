"""Command line: python -m tests.emulator --port 0 --fleet 200 --seed 1 --time-scale 60 --tls-dir DIR."""

import argparse
import os
import signal
import sys
import tempfile
import threading

from .control import ControlError, max_header_bytes
from .fleet import PROFILES
from .server import EmulatorServer
from .state import Emulator
from .tls import create_certificates
from .tomcat import DEFAULT_MAX_HEADER_BYTES


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description="SEPM REST API emulator (HTTPS).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8446, help="0 picks a free port")
    parser.add_argument("--fleet", type=int, default=200, help="number of simulated computers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", choices=PROFILES, default="mixed",
                        help="mixed: the realistic fleet; windows: only patchable Windows clients, all online")
    parser.add_argument("--time-scale", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument("--tls-dir", default=None, help="where ca.pem, server.pem and server.key are written")
    parser.add_argument("--password", default=None, help="password of admin and limited (else SEPM_EMULATOR_PASSWORD)")
    parser.add_argument("--max-header-bytes", type=int, default=DEFAULT_MAX_HEADER_BYTES,
                        help="most bytes of request line plus headers a request may have, as Tomcat's "
                             "maxHttpHeaderSize (default %(default)s); more gets HTTP 400")
    args = parser.parse_args(argv)
    try:
        max_header_bytes(args.max_header_bytes)
    except ControlError as error:
        parser.error(str(error))
    return args


def main(argv=None):
    args = parse_args(argv)
    password = args.password or os.environ.get("SEPM_EMULATOR_PASSWORD")
    if not password:
        sys.stderr.write("sepm emulator: no password: pass --password or set SEPM_EMULATOR_PASSWORD\n")
        return 2
    tls_dir = args.tls_dir or tempfile.mkdtemp(prefix="sepm-emulator-")
    cert_path, key_path, _ca_path = create_certificates(tls_dir)
    emulator = Emulator(args.fleet, args.seed, args.time_scale, password)
    emulator.settings["max_header_bytes"] = args.max_header_bytes
    if args.profile != "mixed":
        emulator.reset(profile=args.profile)
    server = EmulatorServer((args.host, args.port), emulator, cert_path, key_path)

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening https://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
