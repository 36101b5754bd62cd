"""Kernel zygote: ``python -m tthc.batch.zygote``, driven by :class:`tthc.batch.kernels.Zygote`.

Imports the heavy modules once (:mod:`tthc.batch._preload`), prints ``ready``, then for every JSON request line on
stdin (``argv``, ``cwd``, ``env``, ``log``) forks a child that becomes an ipykernel, and prints the child's pid.
With ``--listen PATH`` it also serves the same requests on a Unix socket, one request per connection, so that all
the workers of a batch share one zygote (:func:`tthc.batch.kernels.start_shared_zygote`); it binds the socket before
the preload, so early clients just wait. Its settings come as arguments, never from the environment (its kernels
inherit its environment): ``--backend`` (matplotlib's backend for the kernels), ``--warm PERIOD WINDOW LANG`` (fill
the cube, chart-layout and chart-frame caches of the batch's period and language before forking), ``--no-gc-freeze``. Single-threaded on purpose (forking a threaded process is unsafe). Exits
when stdin closes; its kernels die with it (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import json
import os
import signal
import sys


def _kernel_main(argv: list[str], cwd: str, env: dict[str, str], log_path: str | None) -> None:
    """Body of a forked kernel: become an ordinary ipykernel on the given connection file."""
    os.setpgrp()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel's own subprocesses must be waitable
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the zygote ignores it; a kernel handles interrupts
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    null_in = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log_path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(null_in, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(null_in)
    os.close(out)
    mpl_backend = os.environ.get("MPLBACKEND")
    os.environ.clear()
    os.environ.update(env)
    if mpl_backend:  # matplotlib already read it at import, keep the environment consistent with that
        os.environ["MPLBACKEND"] = mpl_backend
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    os.chdir(cwd)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    from ipykernel.kernelapp import IPKernelApp

    prof_dir = env.get("TTHC_KERNEL_PROFILE")
    if not prof_dir:
        IPKernelApp.launch_instance(argv=argv)
        return
    # Diagnostics (TTHC_KERNEL_PROFILE=<dir>, e.g. with python -m tthc.bench.batch): the kernel's main-thread
    # profile, written after every cell because a batch kills its kernels (shutdown now=True) and nothing runs at exit.
    import cProfile

    prof = cProfile.Profile()
    target = os.path.join(prof_dir, f"kernel-{os.getpid()}.prof")

    def _dump(*_a):
        prof.dump_stats(target)  # disables the profiler
        prof.enable()

    prof.enable()
    app = IPKernelApp.instance()
    app.initialize(argv)
    app.shell.events.register("post_run_cell", _dump)
    app.start()


def _reap(_signum, _frame) -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _fork_kernel(req: dict, close_fds=()) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for f in close_fds:  # the kernel must not hold the zygote's listening socket or a client's connection
                try:
                    f.close()
                except OSError:
                    pass
            try:  # a kernel dies with its zygote at once (ipykernel's parent poller would take a second)
                import ctypes

                ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)
            except Exception:  # noqa: BLE001
                pass
            _kernel_main(req["argv"], req["cwd"], req["env"], req.get("log"))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:  # noqa: BLE001
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def _listen(path: str):
    import socket

    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    os.chmod(path, 0o600)  # kernels run the caller's code: only this user may ask for one
    sock.listen(64)
    return sock


def _serve_client(listener) -> None:
    conn, _ = listener.accept()
    try:
        conn.settimeout(30)
        with conn.makefile("rb") as f:
            line = f.readline()
        if not line.strip():
            return
        pid = _fork_kernel(json.loads(line), close_fds=(listener, conn))
        conn.sendall(f"{pid}\n".encode())
    except (OSError, ValueError) as e:  # a client that went away or sent garbage: answer it if possible, go on
        try:
            conn.sendall(f"error {type(e).__name__}: {e}\n".encode())
        except OSError:
            pass
    finally:
        conn.close()


def parse_args(argv: list[str]) -> dict:
    """``[--listen PATH] [--backend NAME] [--warm PERIOD WINDOW LANG] [--no-gc-freeze]`` → settings dict."""
    opts = {"listen": None, "backend": None, "warm": None, "gc_freeze": True}
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--listen" and args:
            opts["listen"] = args.pop(0)
        elif a == "--backend" and args:
            opts["backend"] = args.pop(0)
        elif a == "--warm" and len(args) >= 3:
            opts["warm"] = (args.pop(0), args.pop(0), args.pop(0))
        elif a == "--no-gc-freeze":
            opts["gc_freeze"] = False
        else:
            raise ValueError(f"unknown zygote argument {a!r}")
    return opts


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    # Ctrl-C reaches the whole terminal group: the owner decides when the zygote ends (it closes stdin), so no
    # KeyboardInterrupt traceback here; SIGTERM (a `kill`, a service stop) ends it tidily, socket folder removed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        opts = parse_args(argv)
    except ValueError as e:
        sys.stdout.write(f"error {e}\n")
        sys.stdout.flush()
        sys.exit(2)
    listener = None
    path = opts["listen"]
    if path:
        try:
            listener = _listen(path)
        except OSError as e:  # no traceback on the user's terminal: one line to the owner, which falls back
            sys.stdout.write(f"error cannot listen on {path}: {e}\n")
            sys.stdout.flush()
            for remove, p in ((os.unlink, path), (os.rmdir, os.path.dirname(path))):
                try:
                    remove(p)
                except OSError:
                    pass
            sys.exit(1)
    try:
        _serve(listener, opts["backend"], opts["warm"], opts["gc_freeze"])
    except (KeyboardInterrupt, SystemExit, BrokenPipeError):
        pass
    finally:
        if listener is not None:  # tidy up also when the owner was killed (its Zygote.close never ran)
            listener.close()
            for remove, p in ((os.unlink, path), (os.rmdir, os.path.dirname(path))):
                try:
                    remove(p)
                except OSError:
                    pass


def _terminate(_signum, _frame) -> None:
    raise SystemExit(0)


def _serve(listener, backend: str | None = None, warm: tuple[str, str, str] | None = None, gc_freeze: bool = True) -> None:
    """Preload, say ``ready``, then fork a kernel per request until stdin closes."""
    # No PDEATHSIG here: the zygote may be started from a short-lived thread. When its owner dies, stdin closes
    # and the loop below ends.
    os.environ["MPLBACKEND"] = backend or "module://matplotlib_inline.backend_inline"  # read once, at import
    from tthc.batch import _preload

    _preload.warm_caches(*(warm or (None, "calendar", None)))
    if gc_freeze:
        # Preloaded objects go to the permanent generation: a kernel's garbage collections then never walk (or
        # touch, which would copy their pages) the hundreds of thousands of objects it inherited.
        import gc

        gc.collect()
        gc.freeze()
    signal.signal(signal.SIGCHLD, _reap)  # reap kernels as they exit: no zombies, and their CPU time is accounted
    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(sys.stdin.buffer, selectors.EVENT_READ, "stdin")
    if listener is not None:
        sel.register(listener, selectors.EVENT_READ, "socket")
    stdin = sys.stdin.buffer
    while True:
        for key, _ in sel.select():
            if key.data == "socket":
                _serve_client(listener)
                continue
            line = stdin.readline()
            if not line:
                return  # the owner closed stdin (or died)
            if not line.strip():
                continue
            pid = _fork_kernel(json.loads(line), close_fds=(listener,) if listener is not None else ())
            out.write(f"{pid}\n".encode())
            out.flush()


if __name__ == "__main__":
    main()
