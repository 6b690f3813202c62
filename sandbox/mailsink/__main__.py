import argparse
import contextlib
import signal
import threading

from sandbox.mailsink import MailSink

parser = argparse.ArgumentParser(description="Local SMTP server writing each message to an .eml file")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8025)
parser.add_argument("--dir", default="var/mail", help="folder for the .eml files")
args = parser.parse_args()

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
with MailSink(args.dir, args.host, args.port) as sink:
    print(f"SMTP sink on {args.host}:{sink.port}, writing to {args.dir}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
