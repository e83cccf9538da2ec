"""The `mendian` command: demo, serve, worker, manage."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from mendian import __version__


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mendian.config.settings")
    from mendian.config.env import EnvError

    try:
        import django

        django.setup()
    except EnvError as exc:
        print(f"mendian: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _gunicorn_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "mendian.config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]


def _run_children(commands: list[list[str]]) -> int:
    """Run the web server and the worker side by side; stop both when either ends or on Ctrl-C/TERM."""
    children = [subprocess.Popen(command) for command in commands]  # noqa: S603 - our own fixed commands

    def stop(*_args: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return max((child.returncode or 0) for child in children)


def cmd_demo(args: argparse.Namespace) -> int:
    if args.data_dir:
        os.environ["MENDIAN_DATA_DIR"] = args.data_dir
    allowed = os.environ.get("MENDIAN_ALLOWED_HOSTS")
    if args.host not in {"127.0.0.1", "localhost", "0.0.0.0"} and not allowed:  # noqa: S104
        os.environ["MENDIAN_ALLOWED_HOSTS"] = f"{args.host},127.0.0.1,localhost"
    if args.host == "0.0.0.0" and not allowed:  # noqa: S104
        os.environ["MENDIAN_ALLOWED_HOSTS"] = "*"
    os.environ.setdefault(
        "MENDIAN_CSRF_TRUSTED_ORIGINS", f"http://{args.host}:{args.port},http://127.0.0.1:{args.port}"
    )
    _setup_django()
    from django.core.management import call_command

    from mendian.demo import demo_load

    print("mendian: preparing the database …", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    logins = demo_load()
    url = f"http://{args.host}:{args.port}"
    print(f"\nMendian {__version__} demo — {url}\n", flush=True)
    for line in logins:
        print(f"  {line}")
    print(flush=True)
    commands = [_gunicorn_command(args.host, args.port, workers=2)]
    if not args.no_worker:
        commands.append([sys.executable, "-m", "mendian.cli", "worker"])
    return _run_children(commands)


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    workers = int(os.environ.get("MENDIAN_WEB_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
    return _run_children([_gunicorn_command(args.host, args.port, workers)])


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    import logging

    from django.core.management import call_command

    # LOGGING gives the "huey" logger our console handler (so run_huey adds none of its own and
    # each line is printed once) at WARNING for the web processes; the worker reports start-up,
    # periodic enqueues and task runs at INFO.
    logging.getLogger("huey").setLevel(logging.INFO)
    call_command("run_huey")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["mendian manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mendian", description="Mendian store system")
    parser.add_argument("--version", action="version", version=f"mendian {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="create demo data and serve it on SQLite")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--data-dir", help="where the database and keys live (default ./var)")
    demo.add_argument("--no-worker", action="store_true", help="do not start the background worker")
    demo.set_defaults(handler=cmd_demo)

    serve = commands.add_parser(
        "serve", help="serve the web app with gunicorn (settings from the environment)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run the background worker (huey)")
    worker.set_defaults(handler=cmd_worker)

    manage = commands.add_parser("manage", help="Django management commands", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
